"""GuardDuty as eksforge meets it (src/aws/guardduty_detector.rs): one detector per region,
tags on the detector's ARN."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import ACCOUNT, REGION


@pytest.fixture()
def guardduty(clean):
    """A GuardDuty client in a region without a detector (AWS state outlives the reset)."""
    client = clean.client("guardduty")
    for detector_id in client.list_detectors()["DetectorIds"]:
        client.delete_detector(DetectorId=detector_id)
    return client


def arn(detector_id: str) -> str:
    return f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/{detector_id}"


def test_one_detector_per_region(guardduty):
    first = guardduty.create_detector(Enable=True)["DetectorId"]
    with pytest.raises(ClientError) as refused:
        guardduty.create_detector(Enable=True)
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert guardduty.list_detectors()["DetectorIds"] == [first]
    guardduty.delete_detector(DetectorId=first)
    assert guardduty.create_detector(Enable=True)["DetectorId"]


def test_detector_tags(guardduty):
    detector_id = guardduty.create_detector(Enable=True, Tags={"team": "security"})["DetectorId"]
    guardduty.tag_resource(ResourceArn=arn(detector_id), Tags={"owner": "platform", "team": "sec"})
    assert guardduty.list_tags_for_resource(ResourceArn=arn(detector_id))["Tags"] == {
        "owner": "platform",
        "team": "sec",
    }
    guardduty.untag_resource(ResourceArn=arn(detector_id), TagKeys=["team"])
    assert guardduty.get_detector(DetectorId=detector_id)["Tags"] == {"owner": "platform"}
    with pytest.raises(ClientError) as missing:
        guardduty.tag_resource(ResourceArn=arn("0" * 32), Tags={"a": "b"})
    assert missing.value.response["Error"]["Code"] == "BadRequestException"


def test_features_are_kept_as_sent(guardduty):
    features = [
        {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
        {
            "Name": "RUNTIME_MONITORING",
            "Status": "ENABLED",
            "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
        },
    ]
    detector_id = guardduty.create_detector(Enable=True, Features=features)["DetectorId"]
    got = guardduty.get_detector(DetectorId=detector_id)["Features"]
    assert [(f["Name"], f["Status"]) for f in got] == [("EKS_AUDIT_LOGS", "ENABLED"), ("RUNTIME_MONITORING", "ENABLED")]
    assert got[1]["AdditionalConfiguration"] == [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]
