"""Clusters as EKS keeps them: the configuration moto drops, updates, versions, protection.

moto's `Cluster` object stays the record; this module adds the members moto ignores
(`accessConfig`, `deletionProtection`, `upgradePolicy`, `computeConfig`, `storageConfig`,
`zonalShiftConfig`, `controlPlaneScalingConfig`, `bootstrapSelfManagedAddons`), makes
`UpdateClusterConfig` merge and report an update as EKS does, and gives statuses their
transitions.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

from moto.core.utils import utcnow
from moto.eks.models import Cluster, EKSBackend

from .. import lifecycle
from . import catalog, errors
from .store import AccessEntry, AssociatedPolicy, eks_arn, extras, get_cluster, new_uuid
from .updates import cluster_update_running, record

AUTH_MODE_ORDER = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def install_status_property() -> None:
    """Makes moto's `Cluster.status` follow the extension's transitions, and its `version` change
    when a version update finishes."""
    Cluster.status = lifecycle.status_property(cluster_update_running)  # type: ignore[assignment]
    Cluster.version = lifecycle.version_property()  # type: ignore[assignment]


def validate_version(version: str | None) -> str:
    """The version to create, EKS's default when none is sent; an unknown one is refused."""
    chosen = version or catalog.DEFAULT_KUBERNETES_VERSION
    if catalog.release(chosen) is None:
        raise errors.invalid_parameter(f"unsupported Kubernetes version {chosen}")
    return chosen


def _auto_mode_flags(body: dict[str, Any]) -> list[bool]:
    return [
        bool((body.get("computeConfig") or {}).get("enabled")),
        bool(((body.get("storageConfig") or {}).get("blockStorage") or {}).get("enabled")),
        bool(((body.get("kubernetesNetworkConfig") or {}).get("elasticLoadBalancing") or {}).get("enabled")),
    ]


def validate_auto_mode(body: dict[str, Any]) -> None:
    """EKS Auto Mode is all three capabilities on, or none of them."""
    flags = _auto_mode_flags(body)
    if any(flags) and not all(flags):
        raise errors.invalid_parameter(
            "For EKS Auto Mode, computeConfig.enabled, kubernetesNetworkConfig.elasticLoadBalancing.enabled, "
            "and storageConfig.blockStorage.enabled must all be set to true."
        )


def _vpc_of_subnets(backend: EKSBackend, subnet_ids: list[str]) -> str | None:
    """The VPC EKS reports (`resourcesVpcConfig.vpcId`), found from the first subnet."""
    from moto.ec2.models import ec2_backends

    try:
        ec2 = ec2_backends[backend.account_id][backend.region_name]
        subnets = ec2.describe_subnets(subnet_ids=subnet_ids[:1])
        return subnets[0].vpc_id if subnets else None
    except Exception:  # an unknown subnet: EKS would refuse, moto never checked; report no VPC
        return None


def complete_create(backend: EKSBackend, cluster: Any, body: dict[str, Any], caller_arn: str) -> None:
    """Records what `CreateCluster` sent that moto drops, with EKS's defaults for the rest."""
    access = body.get("accessConfig") or {}
    cluster.access_config = {
        "authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
        "bootstrapClusterCreatorAdminPermissions": access.get("bootstrapClusterCreatorAdminPermissions", True),
    }
    cluster.deletion_protection = bool(body.get("deletionProtection", False))
    cluster.upgrade_policy = {"supportType": (body.get("upgradePolicy") or {}).get("supportType", "EXTENDED")}
    cluster.bootstrap_self_managed_addons = body.get("bootstrapSelfManagedAddons", True)
    for member, attribute in (
        ("zonalShiftConfig", "zonal_shift_config"),
        ("computeConfig", "compute_config"),
        ("storageConfig", "storage_config"),
        ("controlPlaneScalingConfig", "control_plane_scaling_config"),
    ):
        if member in body:
            setattr(cluster, attribute, copy.deepcopy(body[member]))
    network = {"serviceIpv4Cidr": "172.20.0.0/16", "ipFamily": "ipv4"}
    network.update(body.get("kubernetesNetworkConfig") or {})
    cluster.kubernetes_network_config = network
    vpc = {"endpointPublicAccess": True, "endpointPrivateAccess": False, "publicAccessCidrs": ["0.0.0.0/0"]}
    vpc.update(copy.deepcopy(body.get("resourcesVpcConfig") or {}))
    vpc_id = _vpc_of_subnets(backend, vpc.get("subnetIds") or [])
    if vpc_id:
        vpc["vpcId"] = vpc_id
    cluster.resources_vpc_config = vpc
    cluster.platformVersion = catalog.DEFAULT_PLATFORM_VERSION
    # moto draws one issuer per process, so every cluster would share one OIDC provider; EKS
    # gives each cluster its own (32 hex digits).
    region = cluster.arn.split(":")[3]
    cluster.identity = {"oidc": {"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{uuid.uuid4().hex.upper()}"}}
    cluster.eksforge_phase = lifecycle.begin("CREATING", "ACTIVE", "cluster")
    if cluster.access_config["bootstrapClusterCreatorAdminPermissions"] and cluster.access_config[
        "authenticationMode"
    ] != "CONFIG_MAP":
        _bootstrap_creator_entry(backend, cluster, caller_arn)


def _bootstrap_creator_entry(backend: EKSBackend, cluster: Any, caller_arn: str) -> None:
    """EKS gives the creating principal a cluster-admin access entry unless asked not to."""
    account = caller_arn.split(":")[4]
    name = caller_arn.split("/")[-1]
    entry = AccessEntry(
        arn=eks_arn(backend, f"access-entry/{cluster.name}/user/{account}/{name}/{new_uuid()}"),
        tags={},
        phase=lifecycle.steady("ACTIVE"),
        cluster_name=cluster.name,
        principal_arn=caller_arn,
        username=caller_arn,
    )
    policy_arn = catalog.access_policy_arn("AmazonEKSClusterAdminPolicy")
    entry.policies[policy_arn] = AssociatedPolicy(policy_arn, {"type": "cluster"})
    extras(cluster).access_entries[caller_arn] = entry


def require_active(cluster: Any) -> None:
    status = cluster.status
    if status != "ACTIVE":
        raise errors.in_use(f"Cluster {cluster.name} is in {status} state.", clusterName=cluster.name)


PROTECTION_IGNORED_IN = ("CREATING", "FAILED", "DELETING")
"""Statuses in which EKS deletes a cluster even with deletion protection on (user guide,
"Protect EKS clusters from accidental deletion")."""


def refuse_protected_delete(cluster: Any) -> None:
    """EKS will not delete an ACTIVE (or UPDATING) cluster while deletion protection is on."""
    if getattr(cluster, "deletion_protection", False) and cluster.status not in PROTECTION_IGNORED_IN:
        raise errors.invalid_request(
            f"Cannot delete cluster {cluster.name} because deletion protection is enabled. "
            "Disable deletion protection with UpdateClusterConfig and try again.",
            clusterName=cluster.name,
        )


def _merge_logging(cluster: Any, logging: dict[str, Any]) -> dict[str, Any]:
    """EKS changes only the log types named in the request and keeps the others."""
    enabled: dict[str, bool] = {kind: False for kind in LOG_TYPES}
    for setup in (cluster.logging or {}).get("clusterLogging", []):
        for kind in setup.get("types", []):
            enabled[kind] = bool(setup.get("enabled"))
    for setup in logging.get("clusterLogging", []):
        for kind in setup.get("types", []):
            enabled[kind] = bool(setup.get("enabled"))
    groups = []
    for flag in (True, False):
        kinds = [kind for kind, on in enabled.items() if on is flag]
        if kinds:
            groups.append({"types": kinds, "enabled": flag})
    return {"clusterLogging": groups}


def _update_kind(body: dict[str, Any]) -> tuple[str, list[str]]:
    """Which single kind of update the request asks for; EKS takes one kind per call."""
    kinds: list[tuple[str, list[str]]] = []
    vpc = body.get("resourcesVpcConfig")
    if vpc is not None:
        kind = "VpcConfigUpdate" if {"subnetIds", "securityGroupIds"} & set(vpc) else "EndpointAccessUpdate"
        kinds.append((kind, ["resourcesVpcConfig"]))
    simple = {
        "logging": "LoggingUpdate",
        "accessConfig": "AccessConfigUpdate",
        "upgradePolicy": "UpgradePolicyUpdate",
        "zonalShiftConfig": "ZonalShiftConfigUpdate",
        "deletionProtection": "DeletionProtectionUpdate",
        "remoteNetworkConfig": "RemoteNetworkConfigUpdate",
        "controlPlaneScalingConfig": "ControlPlaneScalingConfigUpdate",
    }
    for member, kind in simple.items():
        if body.get(member) is not None:
            kinds.append((kind, [member]))
    auto = [m for m in ("computeConfig", "storageConfig", "kubernetesNetworkConfig") if body.get(m) is not None]
    if auto:
        kinds.append(("AutoModeUpdate", auto))
    if not kinds:
        raise errors.invalid_parameter("No changes provided in the update request.")
    if len(kinds) > 1:
        raise errors.invalid_parameter("Only one type of update can be allowed.")
    return kinds[0]


def _check_auth_mode(cluster: Any, wanted: str | None) -> None:
    current = cluster.access_config["authenticationMode"] if hasattr(cluster, "access_config") else "CONFIG_MAP"
    if wanted is None or wanted not in AUTH_MODE_ORDER:
        return
    if AUTH_MODE_ORDER.index(wanted) <= AUTH_MODE_ORDER.index(current):
        raise errors.invalid_parameter(f"Unsupported authentication mode update from {current} to {wanted}")


def _check_upgrade_policy(cluster: Any, wanted: str | None, today: date | None = None) -> None:
    """EKS cannot disable extended support once it started (the API reference of
    UpdateClusterConfig: "You cannot disable extended support once it starts")."""
    release = catalog.release(cluster.version)
    current = (getattr(cluster, "upgrade_policy", None) or {}).get("supportType")
    if wanted != "STANDARD" or current == "STANDARD" or release is None:
        return
    if release.support_status(today or utcnow().date())[1] == "EXTENDED_SUPPORT":
        raise errors.invalid_request(
            f"Cannot set the upgrade policy of cluster {cluster.name} to STANDARD: Kubernetes version "
            f"{cluster.version} is in extended support, which cannot be disabled once it started.",
            clusterName=cluster.name,
        )


_PARAM_NAMES = {
    "endpointPublicAccess": "EndpointPublicAccess",
    "endpointPrivateAccess": "EndpointPrivateAccess",
    "publicAccessCidrs": "PublicAccessCidrs",
    "subnetIds": "Subnets",
    "securityGroupIds": "SecurityGroups",
}


def update_config(backend: EKSBackend, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """`UpdateClusterConfig`: applies one kind of change and returns its update."""
    cluster = get_cluster(backend, name)
    kind, members = _update_kind(body)
    require_active(cluster)
    params: dict[str, Any] = {}
    if kind in ("VpcConfigUpdate", "EndpointAccessUpdate"):
        sent = body["resourcesVpcConfig"]
        merged = dict(cluster.resources_vpc_config or {})
        merged.update(copy.deepcopy(sent))
        params = {_PARAM_NAMES[key]: value for key, value in sent.items() if key in _PARAM_NAMES}
        record_update = record(cluster, kind, params)
        cluster.resources_vpc_config = merged
        return record_update.view()
    if kind == "LoggingUpdate":
        update = record(cluster, kind, {"ClusterLogging": body["logging"]})
        cluster.logging = _merge_logging(cluster, body["logging"])
        return update.view()
    if kind == "AccessConfigUpdate":
        wanted = body["accessConfig"].get("authenticationMode")
        _check_auth_mode(cluster, wanted)
        update = record(cluster, kind, {"AuthenticationMode": wanted} if wanted else {})
        if wanted:
            cluster.access_config["authenticationMode"] = wanted
        return update.view()
    if kind == "UpgradePolicyUpdate":
        _check_upgrade_policy(cluster, body["upgradePolicy"].get("supportType"))
    if kind == "DeletionProtectionUpdate":
        update = record(cluster, kind, {"DeletionProtection": bool(body["deletionProtection"])})
        cluster.deletion_protection = bool(body["deletionProtection"])
        return update.view()
    if kind == "AutoModeUpdate":
        validate_auto_mode({m: body.get(m) for m in members})
    attribute_of = {
        "upgradePolicy": ("upgrade_policy", "UpgradePolicy"),
        "zonalShiftConfig": ("zonal_shift_config", "ZonalShiftConfig"),
        "remoteNetworkConfig": ("remote_network_config", "RemoteNetworkConfig"),
        "controlPlaneScalingConfig": ("control_plane_scaling_config", "ControlPlaneScalingConfig"),
        "computeConfig": ("compute_config", "ComputeConfig"),
        "storageConfig": ("storage_config", "StorageConfig"),
        "kubernetesNetworkConfig": ("kubernetes_network_config", "KubernetesNetworkConfig"),
    }
    params = {attribute_of[m][1]: body[m] for m in members}
    update = record(cluster, kind, params)
    for member in members:
        attribute = attribute_of[member][0]
        value = copy.deepcopy(body[member])
        if member == "kubernetesNetworkConfig":
            merged = dict(cluster.kubernetes_network_config or {})
            merged.update(value)
            value = merged
        setattr(cluster, attribute, value)
    return update.view()


def update_version(backend: EKSBackend, name: str, version: str) -> dict[str, Any]:
    """`UpdateClusterVersion`: one minor version up, as EKS allows."""
    cluster = get_cluster(backend, name)
    require_active(cluster)
    if catalog.next_minor(cluster.version) != version:
        raise errors.invalid_parameter(
            f"Unsupported Kubernetes minor version update from {cluster.version} to {version}",
            clusterName=name,
        )
    update = record(cluster, "VersionUpdate", {"Version": version, "PlatformVersion": catalog.DEFAULT_PLATFORM_VERSION})
    lifecycle.begin_version_update(cluster, update, version)
    return update.view()


def begin_delete(backend: EKSBackend, name: str) -> Any:
    """`DeleteCluster`: refused while protected or while node groups remain; DELETING, then gone."""
    cluster = get_cluster(backend, name)
    refuse_protected_delete(cluster)
    if cluster.nodegroups:
        raise errors.in_use("Cluster has nodegroups attached", clusterName=name, nodegroupName=",".join(cluster.nodegroups))
    cluster.eksforge_phase = lifecycle.begin("DELETING", lifecycle.GONE, "cluster")
    if cluster.eksforge_phase.done:
        backend.clusters.pop(name, None)
        backend.cluster_count -= 1
        cluster.eksforge_phase = lifecycle.steady("DELETING")
    return cluster


def purge(backend: EKSBackend) -> None:
    """Drops clusters and node groups whose deletion finished (checked before each request)."""
    for name, cluster in list(backend.clusters.items()):
        for group_name, group in list(cluster.nodegroups.items()):
            phase = group.__dict__.get("eksforge_phase")
            if phase is not None and phase.status() == lifecycle.GONE:
                del cluster.nodegroups[group_name]
                cluster.nodegroup_count -= 1
        phase = cluster.__dict__.get("eksforge_phase")
        if phase is not None and phase.status() == lifecycle.GONE:
            del backend.clusters[name]
            backend.cluster_count -= 1
