"""The settings route (`/eksforge-emulator/config`) and the environment variables behind it."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from conftest import Emulator, role
from test_modes import started


def refused(emulator: Emulator, payload: Any) -> str:
    """POSTs a config body that must be refused; answers the refusal's message."""
    request = urllib.request.Request(
        f"{emulator.endpoint}/eksforge-emulator/config", data=json.dumps(payload).encode(), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400
    return json.loads(error.value.read())["message"]


def test_addons_held_while_cluster_and_node_groups_are_instant(clean, make_cluster):
    eks = clean.client("eks")
    settings = clean.configure(transitionSeconds={"addon": 0.8})
    assert settings["transitionSeconds"] == {"cluster": 0.0, "nodegroup": 0.0, "addon": 0.8, "default": 0.0}
    cluster = make_cluster()
    name = cluster["name"]
    assert eks.describe_cluster(name=name)["cluster"]["status"] == "ACTIVE"
    group = eks.create_nodegroup(
        clusterName=name, nodegroupName="workers", subnets=[cluster["subnet"]], nodeRole=role("node")
    )["nodegroup"]
    assert group["status"] == "ACTIVE"
    assert eks.update_cluster_config(name=name, zonalShiftConfig={"enabled": True})["update"]["status"] == "Successful"

    assert eks.create_addon(clusterName=name, addonName="vpc-cni")["addon"]["status"] == "CREATING"
    time.sleep(0.9)
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["status"] == "ACTIVE"
    update = eks.update_addon(clusterName=name, addonName="vpc-cni", resolveConflicts="OVERWRITE")["update"]
    assert update["status"] == "InProgress"  # an add-on's update takes the add-on's delay
    assert eks.describe_addon(clusterName=name, addonName="vpc-cni")["addon"]["status"] == "UPDATING"


def test_default_applies_to_kinds_not_named(clean):
    settings = clean.configure(transitionSeconds={"default": 2, "cluster": 0})
    assert settings["transitionSeconds"] == {"cluster": 0.0, "nodegroup": 2.0, "addon": 2.0, "default": 2.0}
    assert clean.configure(transitionSeconds=1.5)["transitionSeconds"]["addon"] == 1.5


def test_settings_route_reports_refuses_and_resets(clean):
    assert clean.admin("GET", "config") == {
        "transitionSeconds": {"cluster": 0.0, "nodegroup": 0.0, "addon": 0.0, "default": 0.0},
        "requireCni": False,
        "addonHealth": [],
        "insights": [],
    }
    assert "ERROR" in refused(clean, {"insights": [{"name": "x", "status": "BAD"}]})
    assert "name" in refused(clean, {"insights": [{"status": "ERROR"}]})
    assert "podIdentityAssociation" in refused(clean, {"transitionSeconds": {"podIdentityAssociation": 1}})
    assert "unknown settings" in refused(clean, {"transitionSecs": 1})
    assert "AddonIssueCode" in refused(clean, {"addonHealth": [{"addonName": "coredns", "issues": [{"code": "Oops"}]}]})
    assert "status" in refused(clean, {"addonHealth": [{"addonName": "coredns", "status": "ACTIVE"}]})
    assert "requireCni" in refused(clean, {"requireCni": "yes"})
    # a refused body changes nothing, not even the settings it got right
    refused(clean, {"transitionSeconds": 3, "requireCni": "yes"})
    assert clean.admin("GET", "config")["transitionSeconds"]["addon"] == 0.0

    clean.configure(requireCni=True, addonHealth=[{"addonName": "coredns"}])
    settings = clean.configure(transitionSeconds=1)  # the other settings stay
    assert settings["requireCni"] is True
    assert settings["addonHealth"] == [
        {
            "addonName": "coredns",
            "clusterName": None,
            "status": "DEGRADED",
            "issues": [{"code": "InternalFailure", "message": "Planted by the emulator's addonHealth setting.", "resourceIds": []}],
        }
    ]
    assert clean.configure(requireCni=None)["requireCni"] is False
    clean.configure(insights=[{"name": "Deprecated APIs in use"}])
    reset = clean.admin("DELETE", "config")
    assert reset["addonHealth"] == [] and reset["transitionSeconds"]["default"] == 0.0
    assert reset["insights"] == []


def test_environment_sets_per_kind_delays_and_require_cni():
    environment = {"EKSFORGE_EMULATOR_TRANSITION_SECONDS": '{"addon": 5}', "EKSFORGE_EMULATOR_REQUIRE_CNI": "1"}
    for emulator in started(environment):
        settings = emulator.admin("GET", "config")
        assert settings["transitionSeconds"] == {"cluster": 0.0, "nodegroup": 0.0, "addon": 5.0, "default": 0.0}
        assert settings["requireCni"] is True
        # the route overrides the environment kind by kind, and null returns to it
        assert emulator.configure(transitionSeconds={"cluster": 1})["transitionSeconds"]["addon"] == 5.0
        assert emulator.configure(requireCni=False)["requireCni"] is False
        assert emulator.admin("DELETE", "config")["requireCni"] is True
