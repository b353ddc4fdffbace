"""Node groups: what moto distorted, now reported as sent; version updates and their records."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import role
from helpers import error_of


def nodegroup(eks, cluster, name="workers", **extra):
    arguments = {
        "clusterName": cluster["name"],
        "nodegroupName": name,
        "subnets": [cluster["subnet"]],
        "nodeRole": role("node"),
        "scalingConfig": {"minSize": 1, "maxSize": 3, "desiredSize": 2},
    }
    arguments.update(extra)
    return eks.create_nodegroup(**arguments)["nodegroup"]


def test_no_invented_remote_access(eks, make_cluster):
    cluster = make_cluster()
    nodegroup(eks, cluster)
    described = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName="workers")["nodegroup"]
    assert "remoteAccess" not in described
    nodegroup(eks, cluster, "ssh", remoteAccess={"ec2SshKey": "ops"})
    described = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName="ssh")["nodegroup"]
    assert described["remoteAccess"] == {"ec2SshKey": "ops"}


def test_update_config_kept_and_updates_recorded(eks, make_cluster):
    cluster = make_cluster()
    created = nodegroup(eks, cluster, updateConfig={"maxUnavailablePercentage": 25})
    assert created["updateConfig"] == {"maxUnavailablePercentage": 25}
    update = eks.update_nodegroup_config(
        clusterName=cluster["name"], nodegroupName="workers", updateConfig={"maxUnavailable": 2}
    )["update"]
    described = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName="workers")["nodegroup"]
    assert described["updateConfig"] == {"maxUnavailable": 2}
    found = eks.describe_update(name=cluster["name"], updateId=update["id"], nodegroupName="workers")["update"]
    assert found["type"] == "ConfigUpdate"
    assert eks.list_updates(name=cluster["name"], nodegroupName="workers")["updateIds"] == [update["id"]]
    assert eks.list_updates(name=cluster["name"])["updateIds"] == []


def test_defaults_follow_the_cluster(eks, make_cluster):
    cluster = make_cluster(version="1.33")
    first = nodegroup(eks, cluster, "one")
    assert first["version"] == "1.33" and first["releaseVersion"].startswith("1.33.")
    assert first["updateConfig"] == {"maxUnavailable": 1}
    eks.update_nodegroup_config(
        clusterName=cluster["name"], nodegroupName="one", scalingConfig={"minSize": 2, "maxSize": 7, "desiredSize": 7}
    )
    arguments = {"clusterName": cluster["name"], "nodegroupName": "two", "subnets": [cluster["subnet"]], "nodeRole": role("n")}
    second = eks.create_nodegroup(**arguments)["nodegroup"]
    assert second["scalingConfig"] == {"minSize": 1, "maxSize": 2, "desiredSize": 2}
    with pytest.raises(ClientError) as newer:
        nodegroup(eks, cluster, "three", version="1.34")
    assert error_of(newer) == ("InvalidParameterException", 400)


def test_launch_template_groups(clean, eks, make_cluster):
    ec2 = clean.client("ec2")
    template = ec2.create_launch_template(LaunchTemplateName="lt-ng", LaunchTemplateData={"InstanceType": "t3.large"})
    template_id = template["LaunchTemplate"]["LaunchTemplateId"]
    ec2.create_launch_template_version(LaunchTemplateId=template_id, LaunchTemplateData={"InstanceType": "m5.large"})
    cluster = make_cluster()
    created = nodegroup(eks, cluster, launchTemplate={"id": template_id, "version": "1"})
    assert "diskSize" not in created and "remoteAccess" not in created
    update = eks.update_nodegroup_version(
        clusterName=cluster["name"], nodegroupName="workers", launchTemplate={"id": template_id, "version": "2"}
    )["update"]
    assert {"type": "LaunchTemplateVersion", "value": "2"} in update["params"]
    described = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName="workers")["nodegroup"]
    assert described["launchTemplate"]["version"] == "2"


def test_version_update_errors(eks, make_cluster):
    cluster = make_cluster(version="1.33")
    nodegroup(eks, cluster, version="1.32")
    update = eks.update_nodegroup_version(clusterName=cluster["name"], nodegroupName="workers")["update"]
    assert {"type": "Version", "value": "1.33"} in update["params"]
    with pytest.raises(ClientError) as no_template:
        eks.update_nodegroup_version(clusterName=cluster["name"], nodegroupName="workers", launchTemplate={"version": "2"})
    assert error_of(no_template) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as too_new:
        eks.update_nodegroup_version(clusterName=cluster["name"], nodegroupName="workers", version="1.34")
    assert error_of(too_new) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as missing:
        eks.update_nodegroup_version(clusterName=cluster["name"], nodegroupName="nope")
    assert error_of(missing) == ("ResourceNotFoundException", 404)


def test_nodegroup_tags_and_missing_cluster(eks, make_cluster):
    cluster = make_cluster()
    created = nodegroup(eks, cluster, tags={"a": "1"})
    eks.tag_resource(resourceArn=created["nodegroupArn"], tags={"b": "2"})
    eks.untag_resource(resourceArn=created["nodegroupArn"], tagKeys=["a"])
    assert eks.list_tags_for_resource(resourceArn=created["nodegroupArn"])["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as missing:
        eks.list_nodegroups(clusterName="no-such-cluster")
    assert error_of(missing) == ("ResourceNotFoundException", 404)
    assert eks.delete_nodegroup(clusterName=cluster["name"], nodegroupName="workers")["nodegroup"]["status"] == "DELETING"
    assert eks.list_nodegroups(clusterName=cluster["name"])["nodegroups"] == []
