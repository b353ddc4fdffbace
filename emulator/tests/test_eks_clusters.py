"""Clusters: the configuration moto used to drop, updates, versions, protection, insights."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import standard_version
from helpers import error_of

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def test_create_keeps_what_was_sent(eks, make_cluster):
    cluster = make_cluster(
        version="1.33",
        accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        deletionProtection=True,
        upgradePolicy={"supportType": "STANDARD"},
        zonalShiftConfig={"enabled": True},
        bootstrapSelfManagedAddons=False,
        computeConfig={"enabled": True, "nodePools": ["general-purpose"], "nodeRoleArn": "arn:aws:iam::123456789012:role/n"},
        storageConfig={"blockStorage": {"enabled": True}},
        kubernetesNetworkConfig={"elasticLoadBalancing": {"enabled": True}},
    )
    described = eks.describe_cluster(name=cluster["name"])["cluster"]
    for view in (cluster, described):
        assert view["version"] == "1.33"
        assert view["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
        assert view["deletionProtection"] is True
        assert view["upgradePolicy"] == {"supportType": "STANDARD"}
        assert view["zonalShiftConfig"] == {"enabled": True}
        assert view["computeConfig"]["nodePools"] == ["general-purpose"]
        assert view["storageConfig"] == {"blockStorage": {"enabled": True}}
        assert view["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}


def test_create_fills_in_eks_defaults(eks, make_cluster):
    cluster = make_cluster()
    assert cluster["version"] == "1.34"
    assert cluster["accessConfig"] == {"authenticationMode": "CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True}
    assert cluster["deletionProtection"] is False
    assert cluster["upgradePolicy"] == {"supportType": "EXTENDED"}
    vpc = cluster["resourcesVpcConfig"]
    assert vpc["vpcId"].startswith("vpc-")
    assert (vpc["endpointPublicAccess"], vpc["endpointPrivateAccess"], vpc["publicAccessCidrs"]) == (True, False, ["0.0.0.0/0"])
    assert cluster["kubernetesNetworkConfig"] == {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"}


def test_each_cluster_has_an_oidc_issuer_of_its_own(eks, make_cluster):
    first, second = make_cluster(), make_cluster()
    issuers = [eks.describe_cluster(name=c["name"])["cluster"]["identity"]["oidc"]["issuer"] for c in (first, second)]
    assert issuers[0] != issuers[1]
    for issuer, created in zip(issuers, (first, second)):
        assert issuer.startswith("https://oidc.eks.")
        assert len(issuer.rsplit("/", 1)[1]) == 32
        assert created.get("identity", {}).get("oidc", {}).get("issuer", issuer) == issuer


def test_create_refuses_half_auto_mode_and_unknown_versions(eks, make_cluster):
    with pytest.raises(ClientError) as half:
        make_cluster(computeConfig={"enabled": True})
    assert error_of(half) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as version:
        make_cluster(version="1.19")
    assert error_of(version) == ("InvalidParameterException", 400)


def test_update_config_merges_and_reports_an_update(eks, make_cluster):
    name = make_cluster(
        version=standard_version(eks), resourcesVpcConfig={"subnetIds": ["subnet-1"], "endpointPrivateAccess": False}
    )["name"]
    update = eks.update_cluster_config(name=name, resourcesVpcConfig={"endpointPrivateAccess": True})["update"]
    assert update["type"] == "EndpointAccessUpdate" and update["status"] == "Successful"
    assert {"type": "EndpointPrivateAccess", "value": "true"} in update["params"]
    vpc = eks.describe_cluster(name=name)["cluster"]["resourcesVpcConfig"]
    assert vpc["subnetIds"] == ["subnet-1"] and vpc["endpointPrivateAccess"] is True

    eks.update_cluster_config(name=name, logging={"clusterLogging": [{"types": LOG_TYPES, "enabled": False}]})
    eks.update_cluster_config(name=name, logging={"clusterLogging": [{"types": ["audit"], "enabled": True}]})
    logging = eks.describe_cluster(name=name)["cluster"]["logging"]["clusterLogging"]
    assert {"types": ["audit"], "enabled": True} in logging
    assert {"types": ["api", "authenticator", "controllerManager", "scheduler"], "enabled": False} in logging

    access = eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["update"]
    assert access["type"] == "AccessConfigUpdate"
    assert eks.describe_cluster(name=name)["cluster"]["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    with pytest.raises(ClientError) as back:
        eks.update_cluster_config(name=name, accessConfig={"authenticationMode": "CONFIG_MAP"})
    assert error_of(back) == ("InvalidParameterException", 400)

    eks.update_cluster_config(name=name, upgradePolicy={"supportType": "STANDARD"})
    eks.update_cluster_config(name=name, zonalShiftConfig={"enabled": True})
    described = eks.describe_cluster(name=name)["cluster"]
    assert described["upgradePolicy"] == {"supportType": "STANDARD"} and described["zonalShiftConfig"] == {"enabled": True}
    ids = eks.list_updates(name=name)["updateIds"]
    assert len(ids) == 6 and access["id"] in ids
    assert eks.describe_update(name=name, updateId=access["id"])["update"]["type"] == "AccessConfigUpdate"

    with pytest.raises(ClientError) as two_kinds:
        eks.update_cluster_config(name=name, deletionProtection=True, zonalShiftConfig={"enabled": False})
    assert error_of(two_kinds) == ("InvalidParameterException", 400)
    with pytest.raises(ClientError) as unknown:
        eks.describe_update(name=name, updateId="00000000-0000-0000-0000-000000000000")
    assert error_of(unknown) == ("ResourceNotFoundException", 404)


def test_deletion_protection_refuses_delete_until_turned_off(eks, make_cluster):
    name = make_cluster(deletionProtection=True)["name"]
    with pytest.raises(ClientError) as refused:
        eks.delete_cluster(name=name)
    assert error_of(refused) == ("InvalidRequestException", 400)
    update = eks.update_cluster_config(name=name, deletionProtection=False)["update"]
    assert update["type"] == "DeletionProtectionUpdate"
    assert eks.delete_cluster(name=name)["cluster"]["status"] == "DELETING"
    with pytest.raises(ClientError) as gone:
        eks.describe_cluster(name=name)
    assert error_of(gone) == ("ResourceNotFoundException", 404)


def test_version_upgrades_one_minor_at_a_time(eks, make_cluster):
    name = make_cluster(version="1.32")["name"]
    with pytest.raises(ClientError) as skip:
        eks.update_cluster_version(name=name, version="1.34")
    assert error_of(skip) == ("InvalidParameterException", 400)
    update = eks.update_cluster_version(name=name, version="1.33")["update"]
    assert update["type"] == "VersionUpdate" and {"type": "Version", "value": "1.33"} in update["params"]
    assert eks.describe_cluster(name=name)["cluster"]["version"] == "1.33"
    with pytest.raises(ClientError) as missing:
        eks.update_cluster_version(name="no-such-cluster", version="1.33")
    assert error_of(missing) == ("ResourceNotFoundException", 404)


def test_cluster_versions(eks):
    versions = eks.describe_cluster_versions()["clusterVersions"]
    listed = [v["clusterVersion"] for v in versions]
    assert "1.34" in listed and "1.35" in listed
    assert all(v["status"] != "unsupported" for v in versions)
    everything = [v["clusterVersion"] for v in eks.describe_cluster_versions(includeAll=True)["clusterVersions"]]
    assert set(everything) == {f"1.{minor}" for minor in range(28, 36)}
    default = eks.describe_cluster_versions(defaultOnly=True)["clusterVersions"]
    assert [v["clusterVersion"] for v in default] == ["1.34"] and default[0]["defaultVersion"] is True
    picked = eks.describe_cluster_versions(clusterVersions=["1.28", "1.33"])["clusterVersions"]
    assert sorted(v["clusterVersion"] for v in picked) == ["1.28", "1.33"]


def test_insights(eks, make_cluster):
    name = make_cluster(version="1.33")["name"]
    insights = eks.list_insights(clusterName=name)["insights"]
    assert insights and all(i["insightStatus"]["status"] == "PASSING" for i in insights)
    readiness = eks.list_insights(clusterName=name, filter={"categories": ["UPGRADE_READINESS"]})["insights"]
    assert readiness and all(i["category"] == "UPGRADE_READINESS" for i in readiness)
    detail = eks.describe_insight(clusterName=name, id=insights[0]["id"])["insight"]
    assert detail["id"] == insights[0]["id"] and detail["recommendation"]
    with pytest.raises(ClientError) as unknown:
        eks.describe_insight(clusterName=name, id="nope")
    assert error_of(unknown) == ("ResourceNotFoundException", 404)


def test_a_planted_insight_is_listed_and_described_with_its_recommendation(clean, make_cluster):
    eks = clean.client("eks")
    name = make_cluster(version="1.33")["name"]
    clean.configure(insights=[{"name": "Deprecated APIs in use", "clusterName": name, "recommendation": "Move off v1beta1."}])
    errors = eks.list_insights(clusterName=name, filter={"statuses": ["ERROR"]})["insights"]
    assert [(i["name"], i["kubernetesVersion"], i["category"]) for i in errors] == [
        ("Deprecated APIs in use", "1.34", "UPGRADE_READINESS")
    ]
    detail = eks.describe_insight(clusterName=name, id=errors[0]["id"])["insight"]
    assert detail["recommendation"] == "Move off v1beta1." and detail["insightStatus"]["status"] == "ERROR"
    clean.configure(insights=None)
    assert eks.list_insights(clusterName=name, filter={"statuses": ["ERROR"]})["insights"] == []


def test_the_version_changes_when_the_version_update_finishes(clean, make_cluster):
    eks = clean.client("eks")
    name = make_cluster(version="1.33")["name"]
    clean.set_transition({"cluster": 0.6})
    update = eks.update_cluster_version(name=name, version="1.34")["update"]
    running = eks.describe_cluster(name=name)["cluster"]
    assert (running["status"], running["version"]) == ("UPDATING", "1.33")
    assert eks.describe_update(name=name, updateId=update["id"])["update"]["status"] == "InProgress"
    time.sleep(0.7)
    done = eks.describe_cluster(name=name)["cluster"]
    assert (done["status"], done["version"]) == ("ACTIVE", "1.34")


def test_cluster_transitions_take_the_configured_delay(clean, make_cluster):
    eks = clean.client("eks")
    clean.set_transition(0.6)
    name = make_cluster(version=standard_version(eks))["name"]
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "CREATING"
    time.sleep(0.7)
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    eks.update_cluster_config(name=name, zonalShiftConfig={"enabled": True})
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "UPDATING"
    with pytest.raises(ClientError) as busy:
        eks.update_cluster_config(name=name, upgradePolicy={"supportType": "STANDARD"})
    assert error_of(busy) == ("ResourceInUseException", 409)
    time.sleep(0.7)
    update_id = eks.list_updates(name=name)["updateIds"][0]
    assert eks.describe_update(name=name, updateId=update_id)["update"]["status"] == "Successful"
    assert eks.delete_cluster(name=name)["cluster"]["status"] == "DELETING"
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "DELETING"
    time.sleep(0.7)
    assert name not in eks.list_clusters()["clusters"]


def raw_answer(eks, operation: str) -> list[dict]:
    """Collects the JSON bodies of `operation`'s answers as sent, before boto3 parses them."""
    bodies: list[dict] = []

    def keep(http_response, **_):
        bodies.append(json.loads(http_response.content))

    eks.meta.events.register(f"after-call.eks.{operation}", keep)
    return bodies


def test_bootstrap_self_managed_addons_is_taken_but_not_described(eks, make_cluster):
    created = raw_answer(eks, "CreateCluster")
    described = raw_answer(eks, "DescribeCluster")
    subnet = make_cluster()["subnet"]
    eks.create_cluster(
        name="no-bootstrap",
        roleArn="arn:aws:iam::123456789012:role/cluster",
        resourcesVpcConfig={"subnetIds": [subnet]},
        bootstrapSelfManagedAddons=False,
    )
    eks.describe_cluster(name="no-bootstrap")
    # the Cluster structure of the model has no such member: EKS takes it at create only
    assert created and described
    for body in created + described:
        assert "bootstrapSelfManagedAddons" not in body["cluster"]
        assert "deletionProtection" in body["cluster"] and "upgradePolicy" in body["cluster"]


def test_protection_and_upgrade_policy_updates(eks, make_cluster):
    name = make_cluster(version=standard_version(eks), deletionProtection=False)["name"]
    assert eks.describe_cluster(name=name)["cluster"]["upgradePolicy"] == {"supportType": "EXTENDED"}
    protect = eks.update_cluster_config(name=name, deletionProtection=True)["update"]
    assert (protect["type"], protect["params"]) == ("DeletionProtectionUpdate", [{"type": "DeletionProtection", "value": "true"}])
    policy = eks.update_cluster_config(name=name, upgradePolicy={"supportType": "STANDARD"})["update"]
    assert policy["type"] == "UpgradePolicyUpdate"
    for update in (protect, policy):
        assert eks.describe_update(name=name, updateId=update["id"])["update"]["status"] == "Successful"
    described = eks.describe_cluster(name=name)["cluster"]
    assert described["deletionProtection"] is True and described["upgradePolicy"] == {"supportType": "STANDARD"}
    eks.update_cluster_config(name=name, upgradePolicy={"supportType": "EXTENDED"})
    assert eks.describe_cluster(name=name)["cluster"]["upgradePolicy"] == {"supportType": "EXTENDED"}

    for two_kinds in (
        {"deletionProtection": False, "upgradePolicy": {"supportType": "STANDARD"}},
        {"logging": {"clusterLogging": [{"types": ["audit"], "enabled": True}]}, "resourcesVpcConfig": {"endpointPrivateAccess": True}},
        {"accessConfig": {"authenticationMode": "API"}, "deletionProtection": False},
    ):
        with pytest.raises(ClientError) as refused:
            eks.update_cluster_config(name=name, **two_kinds)
        assert error_of(refused) == ("InvalidParameterException", 400)
        assert refused.value.response["Error"]["Message"] == "Only one type of update can be allowed."
    assert eks.describe_cluster(name=name)["cluster"]["deletionProtection"] is True


def test_extended_support_cannot_be_disabled_once_started(eks, make_cluster):
    versions = eks.describe_cluster_versions(versionStatus="EXTENDED_SUPPORT")["clusterVersions"]
    if not versions:
        pytest.skip("no version of the emulator's calendar is in extended support today")
    name = make_cluster(version=versions[0]["clusterVersion"])["name"]
    with pytest.raises(ClientError) as refused:
        eks.update_cluster_config(name=name, upgradePolicy={"supportType": "STANDARD"})
    assert error_of(refused) == ("InvalidRequestException", 400)
    assert eks.describe_cluster(name=name)["cluster"]["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert eks.update_cluster_config(name=name, upgradePolicy={"supportType": "EXTENDED"})["update"]["status"] == "Successful"


def test_deletion_protection_does_not_hold_a_cluster_still_creating(clean, make_cluster):
    eks = clean.client("eks")
    clean.set_transition({"cluster": 0.6})
    name = make_cluster(deletionProtection=True)["name"]
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "CREATING"
    assert eks.delete_cluster(name=name)["cluster"]["status"] == "DELETING"

    protected = make_cluster(deletionProtection=True)["name"]
    time.sleep(0.7)
    with pytest.raises(ClientError) as refused:
        eks.delete_cluster(name=protected)
    assert error_of(refused) == ("InvalidRequestException", 400)
    assert "deletion protection" in refused.value.response["Error"]["Message"]
