"""VPC flow logs to an S3 bucket with a prefix are created, as AWS creates them
(eksforge_emulator/flow_logs.py), and a missing bucket is still refused."""

from __future__ import annotations


def _vpc_and_bucket(emulator, bucket: str) -> str:
    emulator.client("s3").create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return emulator.client("ec2").create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]


def test_a_prefix_in_the_bucket_arn_is_accepted_and_read_back(clean):
    vpc_id = _vpc_and_bucket(clean, "flow-prefix-bucket")
    ec2 = clean.client("ec2")
    answer = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-prefix-bucket/vpc/flows",
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "k", "Value": "v"}]}],
    )
    assert answer["Unsuccessful"] == []
    (flow_log,) = ec2.describe_flow_logs(FlowLogIds=answer["FlowLogIds"])["FlowLogs"]
    assert flow_log["LogDestination"] == "arn:aws:s3:::flow-prefix-bucket/vpc/flows"
    assert flow_log["Tags"] == [{"Key": "k", "Value": "v"}]


def test_a_missing_bucket_is_still_refused(clean):
    vpc_id = clean.client("ec2").create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    answer = clean.client("ec2").create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::no-such-flow-bucket/vpc",
    )
    assert answer["FlowLogIds"] == []
    assert "does not exist" in answer["Unsuccessful"][0]["Error"]["Message"]
