"""The request contract: invalid requests of every protocol refused as AWS refuses them,
recorded, and clean requests of every protocol let through untouched."""

from __future__ import annotations

import base64
import datetime
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import Emulator, role
from helpers import error_of

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def raw_query(emulator: Emulator, signing_name: str, params: dict[str, str]) -> tuple[int, str]:
    """A query-protocol request by hand, with a SigV4-shaped credential scope (moto checks no signature)."""
    body = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(
        emulator.endpoint + "/",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-1/{signing_name}/aws4_request, "
                "SignedHeaders=host, Signature=0"
            ),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def refused(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as excinfo:
        call()
    code, status = error_of(excinfo)
    return code, status, excinfo.value.response["Error"]["Message"]


# --- refused: one case per protocol and kind of constraint ---------------------------------


def test_eks_rest_json_violations(aws):
    eks = aws.client("eks", validate=False)
    code, status, message = refused(lambda: eks.create_cluster(name="x", resourcesVpcConfig={}))
    assert (code, status) == ("InvalidParameterException", 400)
    assert "'roleArn'" in message and "must not be null" in message
    code, status, message = refused(
        lambda: eks.create_cluster(
            name="x", roleArn=role("r"), resourcesVpcConfig={}, accessConfig={"authenticationMode": "OPEN"}
        )
    )
    assert "accessConfig.authenticationMode" in message and "enum" in message
    code, status, message = refused(lambda: eks.list_clusters(maxResults=500))
    assert "'maxResults'" in message and "less than or equal to 100" in message
    code, status, message = refused(lambda: eks.create_cluster(name="", roleArn=role("r"), resourcesVpcConfig={}))
    assert "'name'" in message
    recorded = aws.violations()
    assert [(v["service"], v["operation"]) for v in recorded] == [("eks", "CreateCluster")] * 2 + [
        ("eks", "ListClusters"),
        ("eks", "CreateCluster"),
    ]
    assert recorded[0]["parameters"] == ["roleArn"] and recorded[0]["expected"] is False


def test_json_protocol_violations(aws):
    kms = aws.client("kms", validate=False)
    code, status, message = refused(lambda: kms.create_key(KeyUsage="SIGN_EVERYTHING"))
    assert (code, status) == ("ValidationException", 400) and "'KeyUsage'" in message
    logs = aws.client("logs", validate=False)
    code, status, message = refused(lambda: logs.create_log_group(logGroupName="x" * 600))
    assert "'logGroupName'" in message and "length less than or equal to 512" in message
    ssm = aws.client("ssm", validate=False)
    code, status, message = refused(lambda: ssm.put_parameter(Name="/a", Value="v", Type="Secret"))
    assert "'Type'" in message
    code, status, message = refused(lambda: ssm.get_parameters_by_path(Path="/a", MaxResults=0))
    assert "'MaxResults'" in message and "greater than or equal to 1" in message
    assert {v["service"] for v in aws.violations()} == {"kms", "logs", "ssm"}


def test_query_protocol_violations(aws):
    iam = aws.client("iam", validate=False)
    code, status, message = refused(lambda: iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TRUST))
    assert (code, status) == ("ValidationError", 400) and "'RoleName'" in message
    sts = aws.client("sts", validate=False)
    code, status, message = refused(lambda: sts.assume_role(RoleArn=role("r"), RoleSessionName="s", DurationSeconds=60))
    assert (code, status) == ("ValidationError", 400) and "'DurationSeconds'" in message
    elbv2 = aws.client("elbv2", validate=False)
    code, status, message = refused(lambda: elbv2.describe_load_balancers(PageSize=1000))
    assert (code, status) == ("ValidationError", 400) and "'PageSize'" in message


def test_raw_query_requests_are_parsed_into_the_shape_tree(aws):
    status, body = raw_query(aws, "iam", {"Action": "CreateRole", "Version": "2010-05-08", "RoleName": "r"})
    assert status == 400 and "<Code>ValidationError</Code>" in body and "AssumeRolePolicyDocument" in body
    status, body = raw_query(
        aws,
        "iam",
        {"Action": "TagRole", "Version": "2010-05-08", "RoleName": "r", "Tags.member.1.Value": "v"},
    )
    assert status == 400 and "Tags.1.Key" in body
    status, body = raw_query(
        aws,
        "ec2",
        {"Action": "DescribeVpcs", "Version": "2016-11-15", "Filter.1.Name": "tag:a", "MaxResults": "abc"},
    )
    assert status == 400 and "<Code>InvalidParameterValue</Code>" in body and "MaxResults" in body
    status, body = raw_query(aws, "ec2", {"Action": "RunInstances", "Version": "2016-11-15", "ImageId": "ami-1"})
    assert status == 400 and "<Code>MissingParameter</Code>" in body and "MaxCount" in body
    status, body = raw_query(
        aws, "elasticloadbalancing", {"Action": "CreateLoadBalancer", "Version": "2015-12-01", "Type": "tcp-only"}
    )
    assert status == 400 and "Name" in body and "Type" in body


def test_s3_rest_xml_violations(aws):
    s3 = aws.client("s3", validate=False)
    s3.create_bucket(Bucket="contract-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    code, status, message = refused(
        lambda: s3.put_bucket_versioning(Bucket="contract-bucket", VersioningConfiguration={"Status": "Maybe"})
    )
    assert (code, status) == ("InvalidArgument", 400) and "VersioningConfiguration.Status" in message
    code, status, message = refused(
        lambda: s3.put_bucket_tagging(Bucket="contract-bucket", Tagging={"TagSet": [{"Value": "v"}]})
    )
    assert "Tagging.TagSet.1.Key" in message


def test_a_test_that_expects_a_violation_says_so(aws):
    eks = aws.client("eks", validate=False)

    def expect(request: Any, **_: Any) -> None:
        request.headers["x-eksforge-expect-violation"] = "1"

    eks.meta.events.register("before-sign.eks.*", expect)
    code, status, _ = refused(lambda: eks.list_clusters(maxResults=0))
    assert (code, status) == ("InvalidParameterException", 400)
    assert [v["expected"] for v in aws.violations()] == [True]
    assert aws.admin("GET", "violations?unexpected=1") == []


# --- clean requests of every protocol pass ---------------------------------------------------


def test_clean_requests_of_every_protocol_pass(clean):
    ec2 = clean.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}])
    vpc_id = vpc["Vpc"]["VpcId"]
    ec2.describe_vpcs(Filters=[{"Name": "tag:a", "Values": ["b"]}], VpcIds=[vpc_id])
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, ClientToken="token-1")
    ec2.create_launch_template(
        LaunchTemplateName="clean-lt",
        LaunchTemplateData={"UserData": base64.b64encode(b"#!/bin/sh").decode(), "MetadataOptions": {"HttpTokens": "required"}},
    )

    iam = clean.client("iam")
    iam.create_role(RoleName="clean-role", AssumeRolePolicyDocument=TRUST, Tags=[{"Key": "a", "Value": "b"}])
    iam.attach_role_policy(RoleName="clean-role", PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
    clean.client("sts").get_caller_identity()

    kms = clean.client("kms")
    key = kms.create_key(Description="clean", Tags=[{"TagKey": "a", "TagValue": "b"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=365)
    kms.encrypt(KeyId=key, Plaintext=b"\x00\x01binary")

    logs = clean.client("logs")
    logs.create_log_group(logGroupName="/clean/group", tags={"a": "b"})
    logs.put_retention_policy(logGroupName="/clean/group", retentionInDays=30)
    logs.filter_log_events(logGroupName="/clean/group", startTime=0, endTime=int(datetime.datetime.now().timestamp() * 1000))

    ssm = clean.client("ssm")
    ssm.put_parameter(Name="/clean/p", Value="v", Type="String")
    ssm.get_parameters_by_path(Path="/clean", Recursive=True)

    s3 = clean.client("s3")
    s3.create_bucket(Bucket="clean-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_versioning(Bucket="clean-bucket", VersioningConfiguration={"Status": "Enabled"})
    put = s3.put_object(Bucket="clean-bucket", Key="state/a b.json", Body=b"{}", IfNoneMatch="*", ChecksumAlgorithm="SHA256")
    s3.put_object(Bucket="clean-bucket", Key="state/a b.json", Body=b"{1}", IfMatch=put["ETag"])
    s3.get_object(Bucket="clean-bucket", Key="state/a b.json")
    s3.list_objects_v2(Bucket="clean-bucket", Prefix="state/")
    s3.delete_object(Bucket="clean-bucket", Key="state/a b.json")

    clean.client("elbv2").describe_load_balancers()

    eks = clean.client("eks")
    eks.create_cluster(name="clean-cluster", roleArn=role("c"), resourcesVpcConfig={"subnetIds": [subnet]})
    eks.list_clusters(maxResults=10)
    eks.describe_addon_versions(kubernetesVersion="1.34", types=["networking"])
    assert clean.violations() == []
    coverage = clean.admin("GET", "checked")
    services = {operation.split(":")[0] for operation in coverage["checked"]}
    assert services == {"ec2", "iam", "sts", "kms", "logs", "ssm", "s3", "elbv2", "eks"}, "every request was looked at"
    assert coverage["checked"]["s3:PutObject"] == 2 and coverage["checked"]["ec2:CreateNatGateway"] == 1
    assert coverage["unplaced"] == {}
