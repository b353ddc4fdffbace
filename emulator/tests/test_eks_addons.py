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
