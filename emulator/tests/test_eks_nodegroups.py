"""Node groups: what moto distorted, now reported as sent; version updates and their records."""

from __future__ import annotations

import time

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


NODE_TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
CNI_POLICY = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


def node_role(iam, name, *policies):
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=NODE_TRUST)["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def settled(eks, cluster, name):
    group = eks.describe_nodegroup(clusterName=cluster["name"], nodegroupName=name)["nodegroup"]
    return group["status"], group["health"]["issues"]


def test_nodes_without_a_working_cni_fail_to_join_when_required(clean, make_cluster):
    eks, iam = clean.client("eks"), clean.client("iam")
    clean.configure(requireCni=True)
    bare = node_role(iam, "node-bare")
    with_cni_policy = node_role(iam, "node-cni", CNI_POLICY)

    cluster = make_cluster()
    nodegroup(eks, cluster, "no-cni", nodeRole=with_cni_policy)  # no vpc-cni add-on at all
    status, issues = settled(eks, cluster, "no-cni")
    assert status == "CREATE_FAILED"
    assert [(i["code"], i["message"]) for i in issues] == [("NodeCreationFailure", "Instances failed to join the kubernetes cluster")]
    assert len(issues[0]["resourceIds"]) == 2 and all(i.startswith("i-") for i in issues[0]["resourceIds"])
    with pytest.raises(ClientError) as not_active:
        eks.update_nodegroup_version(clusterName=cluster["name"], nodegroupName="no-cni")
    assert error_of(not_active) == ("ResourceInUseException", 409)
    assert eks.delete_nodegroup(clusterName=cluster["name"], nodegroupName="no-cni")["nodegroup"]["status"] == "DELETING"

    eks.create_addon(clusterName=cluster["name"], addonName="vpc-cni")
    nodegroup(eks, cluster, "bare-role", nodeRole=bare)  # aws-node falls back to a role without the CNI policy
    assert settled(eks, cluster, "bare-role")[0] == "CREATE_FAILED"
    nodegroup(eks, cluster, "cni-role", nodeRole=with_cni_policy)
    assert settled(eks, cluster, "cni-role") == ("ACTIVE", [])
    nodegroup(eks, cluster, "unknown-role", nodeRole=role("never-created"))
    assert settled(eks, cluster, "unknown-role")[0] == "CREATE_FAILED"

    irsa = make_cluster()
    eks.create_addon(clusterName=irsa["name"], addonName="vpc-cni", serviceAccountRoleArn=role("cni-irsa"))
    nodegroup(eks, irsa, nodeRole=bare)
    assert settled(eks, irsa, "workers") == ("ACTIVE", [])


def test_cni_pod_identity_needs_the_agent(clean, make_cluster):
    eks, iam = clean.client("eks"), clean.client("iam")
    clean.configure(requireCni=True)
    bare = node_role(iam, "node-bare-pi")
    cluster = make_cluster()
    eks.create_addon(
        clusterName=cluster["name"],
        addonName="vpc-cni",
        podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": role("cni-pod")}],
    )
    nodegroup(eks, cluster, "before-agent", nodeRole=bare)
    assert settled(eks, cluster, "before-agent")[0] == "CREATE_FAILED"
    eks.create_addon(clusterName=cluster["name"], addonName="eks-pod-identity-agent")
    nodegroup(eks, cluster, "after-agent", nodeRole=bare)
    assert settled(eks, cluster, "after-agent") == ("ACTIVE", [])
    # a failed group has no nodes: coredns keeps waiting only for the working one
    eks.create_addon(clusterName=cluster["name"], addonName="coredns")
    assert eks.describe_addon(clusterName=cluster["name"], addonName="coredns")["addon"]["status"] == "ACTIVE"


def test_join_failure_shows_once_creation_ends(clean, make_cluster):
    eks = clean.client("eks")
    clean.configure(requireCni=True, transitionSeconds={"nodegroup": 0.6})
    cluster = make_cluster()
    assert nodegroup(eks, cluster)["status"] == "CREATING"
    assert settled(eks, cluster, "workers") == ("CREATING", [])
    time.sleep(0.7)
    assert settled(eks, cluster, "workers")[0] == "CREATE_FAILED"
    eks.create_addon(clusterName=cluster["name"], addonName="coredns")
    assert eks.describe_addon(clusterName=cluster["name"], addonName="coredns")["addon"]["status"] == "DEGRADED"


def test_cni_not_required_by_default(eks, make_cluster):
    cluster = make_cluster()
    assert nodegroup(eks, cluster)["status"] == "ACTIVE"
    assert settled(eks, cluster, "workers") == ("ACTIVE", [])
