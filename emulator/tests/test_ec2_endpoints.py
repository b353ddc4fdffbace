"""VPC endpoints as eksforge uses them (src/aws/vpc_endpoint.rs): read by id filter, private DNS
changed in place."""

from __future__ import annotations


def _interface_endpoint(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.40.1.0/24")["Subnet"]["SubnetId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName="com.amazonaws.eu-west-1.sts",
        VpcEndpointType="Interface",
        SubnetIds=[subnet],
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]
    return endpoint["VpcEndpointId"]


def test_describe_by_endpoint_id_filter(clean):
    ec2 = clean.client("ec2")
    endpoint_id = _interface_endpoint(ec2)
    _interface_endpoint(ec2)
    found = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": [endpoint_id]}])
    assert [e["VpcEndpointId"] for e in found["VpcEndpoints"]] == [endpoint_id]
    gone = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-endpoint-id", "Values": ["vpce-0123456789abcdef0"]}])
    assert gone["VpcEndpoints"] == []


def test_modify_turns_private_dns_off_and_on(clean):
    ec2 = clean.client("ec2")
    endpoint_id = _interface_endpoint(ec2)

    def private_dns():
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"]
        return found[0]["PrivateDnsEnabled"]

    assert private_dns() is True
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=False)
    assert private_dns() is False
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PrivateDnsEnabled=True)
    assert private_dns() is True


def test_reset_policy_puts_the_default_back(clean):
    ec2 = clean.client("ec2")
    endpoint_id = _interface_endpoint(ec2)
    narrow = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}'
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=narrow)
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, ResetPolicy=True)
    policy = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]["PolicyDocument"]
    assert '"Allow"' in policy
