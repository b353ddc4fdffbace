"""Add-ons: lifecycle, versions from the catalog, configuration schemas, errors."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import role
from helpers import error_of


def test_addon_lifecycle(eks, make_cluster):
    cluster = make_cluster(version="1.33")
    name = cluster["name"]
    created = eks.create_addon(
        clusterName=name,
        addonName="vpc-cni",
        serviceAccountRoleArn=role("cni"),
        configurationValues=json.dumps({"enableNetworkPolicy": "true"}),
        resolveConflicts="OVERWRITE",
        tags={"team": "platform"},
    )["addon"]
    assert created["status"] == "ACTIVE"
    assert created["addonVersion"] == "v1.20.4-eksbuild.2"  # the default for 1.33
    assert created["addonArn"].startswith(f"arn:aws:eks:eu-west-1:123456789012:addon/{name}/vpc-cni/")
    assert created["serviceAccountRoleArn"] == role("cni")

    described = eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]
    assert described["addonArn"] == created["addonArn"]
    assert json.loads(described["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert eks.list_tags_for_resource(resourceArn=created["addonArn"])["tags"] == {"team": "platform"}
    assert eks.list_addons(clusterName=name)["addons"] == ["vpc-cni"]

    update = eks.update_addon(clusterName=name, addonName="vpc-cni", addonVersion="v1.21.1-eksbuild.1")["update"]
    assert update["type"] == "AddonUpdate" and update["status"] == "Successful"
    assert {"type": "AddonVersion", "value": "v1.21.1-eksbuild.1"} in update["params"]
    assert eks.describe_update(name=name, updateId=update["id"], addonName="vpc-cni")["update"]["id"] == update["id"]
    assert eks.list_updates(name=name, addonName="vpc-cni")["updateIds"] == [update["id"]]
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["addonVersion"] == "v1.21.1-eksbuild.1"

    deleted = eks.delete_addon(clusterName=name, addonName="vpc-cni", preserve=True)["addon"]
    assert deleted["status"] == "DELETING"
    assert eks.list_addons(clusterName=name)["addons"] == []
    with pytest.raises(ClientError) as gone:
        eks.describe_addon(clusterName=name, addonName="vpc-cni")
    assert error_of(gone) == ("ResourceNotFoundException", 404)


def test_addon_with_pod_identity_associations(eks, make_cluster):
    name = make_cluster()["name"]
    addon = eks.create_addon(
        clusterName=name,
        addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role("ebs")}],
    )["addon"]
    assert len(addon["podIdentityAssociations"]) == 1
    listed = eks.list_pod_identity_associations(clusterName=name)["associations"]
    assert listed[0]["ownerArn"] == addon["addonArn"]
    assert listed[0]["namespace"] == "kube-system"
    with pytest.raises(ClientError) as owned:
        eks.delete_pod_identity_association(clusterName=name, associationId=listed[0]["associationId"])
    assert error_of(owned) == ("InvalidRequestException", 400)
    eks.delete_addon(clusterName=name, addonName="aws-ebs-csi-driver")
    assert eks.list_pod_identity_associations(clusterName=name)["associations"] == []


def test_addon_errors(eks, make_cluster):
    name = make_cluster()["name"]
    eks.create_addon(clusterName=name, addonName="coredns")
    with pytest.raises(ClientError) as duplicate:
        eks.create_addon(clusterName=name, addonName="coredns")
    assert error_of(duplicate) == ("ResourceInUseException", 409)
    with pytest.raises(ClientError) as unknown:
        eks.create_addon(clusterName=name, addonName="not-an-addon")
    assert error_of(unknown) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as bad_version:
        eks.create_addon(clusterName=name, addonName="kube-proxy", addonVersion="v1.28.15-eksbuild.3")
    assert error_of(bad_version) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as bad_role:
        eks.create_addon(clusterName=name, addonName="vpc-cni", serviceAccountRoleArn="arn:aws:iam::123456789012:user/x")
    assert error_of(bad_role) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as no_cluster:
        eks.list_addons(clusterName="no-such-cluster")
    assert error_of(no_cluster) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as missing:
        eks.update_addon(clusterName=name, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.2")
    assert error_of(missing) == ("ResourceNotFoundException", 404)


def test_addon_versions_have_one_default_per_kubernetes_version(eks):
    for kubernetes in ("1.28", "1.31", "1.34", "1.35"):
        addons = eks.describe_addon_versions(kubernetesVersion=kubernetes)["addons"]
        names = {addon["addonName"] for addon in addons}
        assert names == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"}
        for addon in addons:
            defaults = [
                version["addonVersion"]
                for version in addon["addonVersions"]
                for compatibility in version["compatibilities"]
                if compatibility["defaultVersion"] and compatibility["clusterVersion"] == kubernetes
            ]
            assert len(defaults) == 1, (addon["addonName"], kubernetes, defaults)
    proxy = eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.34")["addons"]
    assert all(v["addonVersion"].startswith("v1.34.") for v in proxy[0]["addonVersions"])
    page = eks.describe_addon_versions(maxResults=2)
    assert len(page["addons"]) == 2 and page["nextToken"]
    rest = eks.describe_addon_versions(maxResults=10, nextToken=page["nextToken"])
    assert len(rest["addons"]) == 3 and "nextToken" not in rest


def test_addon_configuration(eks):
    answer = eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.2")
    schema = json.loads(answer["configurationSchema"])
    assert "enableNetworkPolicy" in schema["properties"]
    assert answer["podIdentityConfiguration"][0]["serviceAccount"] == "aws-node"
    with pytest.raises(ClientError) as unknown:
        eks.describe_addon_configuration(addonName="vpc-cni", addonVersion="v0.0.1")
    assert error_of(unknown) == ("InvalidParameterException", 400)


def test_addon_transitions_take_the_configured_delay(clean, make_cluster):
    eks = clean.client("eks")
    name = make_cluster()["name"]
    clean.set_transition(0.6)
    assert eks.create_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "CREATING"
    with pytest.raises(ClientError) as busy:
        eks.update_addon(clusterName=name, addonName="kube-proxy", resolveConflicts="OVERWRITE")
    assert error_of(busy) == ("ResourceInUseException", 409)
    time.sleep(0.7)
    assert eks.describe_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "ACTIVE"
    assert eks.delete_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "DELETING"
    assert eks.describe_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "DELETING"
    time.sleep(0.7)
    assert eks.list_addons(clusterName=name)["addons"] == []


def nodegroup(eks, cluster, name="workers", desired=2):
    return eks.create_nodegroup(
        clusterName=cluster["name"],
        nodegroupName=name,
        subnets=[cluster["subnet"]],
        nodeRole=role("node"),
        scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": desired},
    )["nodegroup"]


def test_deployment_addons_are_degraded_until_a_node_group_is_active(clean, make_cluster):
    eks = clean.client("eks")
    cluster = make_cluster()
    name = cluster["name"]
    for addon in ("coredns", "aws-ebs-csi-driver"):
        created = eks.create_addon(clusterName=name, addonName=addon)["addon"]
        assert created["status"] == "DEGRADED"
        assert created["health"]["issues"] == [
            {
                "code": "InsufficientNumberOfReplicas",
                "message": "The add-on is unhealthy because it doesn't have the desired number of replicas.",
                "resourceIds": [],
            }
        ]
    # DaemonSets have nothing to wait for
    assert eks.create_addon(clusterName=name, addonName="kube-proxy")["addon"]["status"] == "ACTIVE"
    # a degraded add-on can still be updated and deleted
    eks.update_addon(clusterName=name, addonName="coredns", resolveConflicts="OVERWRITE")

    nodegroup(eks, cluster, "empty", desired=0)  # no node to run on
    assert eks.describe_addon(clusterName=name, addonName="coredns")["addon"]["status"] == "DEGRADED"
    clean.set_transition({"nodegroup": 0.6})
    nodegroup(eks, cluster)
    assert eks.describe_addon(clusterName=name, addonName="coredns")["addon"]["status"] == "DEGRADED"
    time.sleep(0.7)
    for addon in ("coredns", "aws-ebs-csi-driver"):
        healthy = eks.describe_addon(clusterName=name, addonName=addon)["addon"]
        assert (healthy["status"], healthy["health"]) == ("ACTIVE", {"issues": []})


def test_planted_addon_health(clean, make_cluster):
    eks = clean.client("eks")
    first, second = make_cluster()["name"], make_cluster()["name"]
    for cluster in (first, second):
        eks.create_addon(clusterName=cluster, addonName="vpc-cni")
    issue = {"code": "AccessDenied", "message": "aws-node cannot call EC2", "resourceIds": ["kube-system/aws-node"]}
    clean.configure(addonHealth=[{"addonName": "vpc-cni", "clusterName": first, "issues": [issue]}])
    degraded = eks.describe_addon(clusterName=first, addonName="vpc-cni")["addon"]
    assert (degraded["status"], degraded["health"]) == ("DEGRADED", {"issues": [issue]})
    assert eks.describe_addon(clusterName=second, addonName="vpc-cni")["addon"]["status"] == "ACTIVE"

    # a plant without a cluster names the add-on on every cluster; it shows once a transition ends
    clean.configure(
        transitionSeconds={"addon": 0.6},
        addonHealth=[{"addonName": "kube-proxy", "status": "CREATE_FAILED", "issues": [{"code": "ConfigurationConflict"}]}],
    )
    assert eks.create_addon(clusterName=second, addonName="kube-proxy")["addon"]["status"] == "CREATING"
    time.sleep(0.7)
    failed = eks.describe_addon(clusterName=second, addonName="kube-proxy")["addon"]
    assert failed["status"] == "CREATE_FAILED"
    assert [i["code"] for i in failed["health"]["issues"]] == ["ConfigurationConflict"]
    assert eks.describe_addon(clusterName=first, addonName="vpc-cni")["addon"]["status"] == "ACTIVE"

    clean.configure(addonHealth=None)
    healthy = eks.describe_addon(clusterName=second, addonName="kube-proxy")["addon"]
    assert (healthy["status"], healthy["health"]) == ("ACTIVE", {"issues": []})


def test_configuration_values_are_checked_against_the_schema(eks, make_cluster):
    name = make_cluster()["name"]
    refusals = {
        "{not json": "neither valid JSON nor valid YAML",
        '{"nodeSelector": {"a": "b"}}': "[$.nodeSelector: is not defined in the schema and the schema does not allow additional properties]",
        '{"enableNetworkPolicy": true}': "[$.enableNetworkPolicy: boolean found, string expected]",
        '["env"]': "[$: array found, object expected]",
    }
    for values, problem in refusals.items():
        with pytest.raises(ClientError) as refused:
            eks.create_addon(clusterName=name, addonName="vpc-cni", configurationValues=values)
        assert error_of(refused) == ("InvalidParameterException", 400)
        message = refused.value.response["Error"]["Message"]
        assert message.startswith("ConfigurationValue provided in request is not supported: ") and problem in message
    assert eks.list_addons(clusterName=name)["addons"] == []

    sent = '{ "env": {"WARM_IP_TARGET": "2"},\n  "enableNetworkPolicy": "true" }'
    eks.create_addon(clusterName=name, addonName="vpc-cni", configurationValues=sent)
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["configurationValues"] == sent
    with pytest.raises(ClientError) as bad_update:
        eks.update_addon(clusterName=name, addonName="vpc-cni", configurationValues='{"replicaCount": 2}')
    assert error_of(bad_update) == ("InvalidParameterException", 400)
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["configurationValues"] == sent

    as_yaml = "replicaCount: 3\ntolerations: []\n"  # EKS takes YAML too
    eks.create_addon(clusterName=name, addonName="coredns", configurationValues=as_yaml)
    assert eks.describe_addon(clusterName=name, addonName="coredns")["addon"]["configurationValues"] == as_yaml
    with pytest.raises(ClientError) as wrong_type:
        eks.update_addon(clusterName=name, addonName="coredns", configurationValues='{"replicaCount": "3"}')
    assert "$.replicaCount: string found, integer expected" in wrong_type.value.response["Error"]["Message"]


def test_every_resolve_conflicts_value_is_accepted(eks, make_cluster):
    name = make_cluster()["name"]
    # the API reference describes PRESERVE for CreateAddon too ("Creation of the add-on might fail")
    for addon, mode in (("vpc-cni", "OVERWRITE"), ("kube-proxy", "NONE"), ("coredns", "PRESERVE")):
        eks.create_addon(clusterName=name, addonName=addon, resolveConflicts=mode)
        update = eks.update_addon(clusterName=name, addonName=addon, resolveConflicts=mode)["update"]
        assert {"type": "ResolveConflicts", "value": mode} in update["params"]


def test_update_addon_pod_identity_associations_replace_the_set(eks, make_cluster):
    name = make_cluster()["name"]
    addon = eks.create_addon(
        clusterName=name,
        addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role("ebs")}],
    )["addon"]
    [first] = eks.list_pod_identity_associations(clusterName=name)["associations"]

    update = eks.update_addon(
        clusterName=name,
        addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": role("ebs2")}],
    )["update"]
    assert update["params"][0]["type"] == "PodIdentityAssociations"
    [kept] = eks.list_pod_identity_associations(clusterName=name)["associations"]
    assert kept["associationId"] == first["associationId"]
    described = eks.describe_pod_identity_association(clusterName=name, associationId=kept["associationId"])
    assert described["association"]["roleArn"] == role("ebs2")
    assert eks.describe_addon(clusterName=name, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"] == [
        first["associationArn"]
    ]

    eks.create_pod_identity_association(clusterName=name, namespace="kube-system", serviceAccount="taken", roleArn=role("t"))
    with pytest.raises(ClientError) as taken:
        eks.update_addon(
            clusterName=name,
            addonName="aws-ebs-csi-driver",
            podIdentityAssociations=[{"serviceAccount": "taken", "roleArn": role("x")}],
        )
    assert error_of(taken) == ("ResourceInUseException", 409)
    with pytest.raises(ClientError) as twice:
        eks.update_addon(
            clusterName=name,
            addonName="aws-ebs-csi-driver",
            podIdentityAssociations=[{"serviceAccount": "a", "roleArn": role("x")}, {"serviceAccount": "a", "roleArn": role("y")}],
        )
    assert error_of(twice) == ("InvalidParameterException", 400)
    assert len(eks.list_pod_identity_associations(clusterName=name)["associations"]) == 2  # nothing changed

    eks.update_addon(clusterName=name, addonName="aws-ebs-csi-driver", podIdentityAssociations=[])
    owned = [a for a in eks.list_pod_identity_associations(clusterName=name)["associations"] if a.get("ownerArn")]
    assert owned == []
    assert eks.describe_addon(clusterName=name, addonName="aws-ebs-csi-driver")["addon"]["podIdentityAssociations"] == []
    assert addon["addonArn"]

    # a create refused for one association makes none of the others
    with pytest.raises(ClientError) as conflict:
        eks.create_addon(
            clusterName=name,
            addonName="vpc-cni",
            podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": role("cni")}, {"serviceAccount": "taken", "roleArn": role("x")}],
        )
    assert error_of(conflict) == ("ResourceInUseException", 409)
    accounts = {a["serviceAccount"] for a in eks.list_pod_identity_associations(clusterName=name)["associations"]}
    assert accounts == {"taken"}
