"""Security group rules as eksforge reads them (src/aws/security_group_rule.rs): one
DescribeSecurityGroupRules reports every rule with its description."""

from __future__ import annotations


def test_a_rule_from_another_group_keeps_its_description(clean):
    ec2 = clean.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    cluster = ec2.create_security_group(GroupName="cluster", Description="cluster", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=nodes,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": cluster, "Description": "webhooks from the control plane"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 10250,
                "ToPort": 10250,
                "IpRanges": [{"CidrIp": "10.40.0.0/16", "Description": "kubelet from the VPC"}],
            },
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [nodes]}])
    ingress = {r["FromPort"]: r.get("Description") for r in rules["SecurityGroupRules"] if not r["IsEgress"]}
    assert ingress == {443: "webhooks from the control plane", 10250: "kubelet from the VPC"}
