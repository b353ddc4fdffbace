"""Managed node groups as EKS reports them, on top of moto's `Nodegroup` records.

Fixes what moto distorts (an invented `remoteAccess` key pair, a shared scaling default,
`version` 1.19 whatever the cluster runs, `diskSize` alongside a launch template, a dropped
`updateConfig`) and adds `UpdateNodegroupVersion`, recorded updates and transitions, and (with
`requireCni`) the join failure of nodes whose VPC CNI has no AWS credentials.
"""

from __future__ import annotations

import copy
from typing import Any

from moto.eks.models import EKSBackend, Nodegroup
from moto.moto_api._internal import mock_random as random

from .. import config, lifecycle
from . import catalog, errors
from .store import extras, get_cluster
from .updates import record


def _busy(group: Any) -> bool:
    updates_of = group.__dict__.get("eksforge_updates_of")
    return updates_of is not None and updates_of()


def _health_property() -> property:
    """`health` for moto's `Nodegroup`: the issues of a failed creation once it has failed,
    else moto's own value (no issues)."""

    def read(group: Any) -> dict[str, Any]:
        phase: lifecycle.Phase | None = group.__dict__.get("eksforge_phase")
        issues = group.__dict__.get("eksforge_join_failure")
        if phase is not None and issues and phase.done and phase.settled == "CREATE_FAILED":
            return {"issues": [dict(issue, resourceIds=list(issue["resourceIds"])) for issue in issues]}
        return copy.deepcopy(group.__dict__.get("_plain_health") or {"issues": []})

    def write(group: Any, value: dict[str, Any]) -> None:
        group.__dict__["_plain_health"] = value

    return property(read, write)


def install_status_property() -> None:
    """Makes moto's `Nodegroup.status` follow the extension's transitions, and its `health`
    report why a creation failed."""
    Nodegroup.status = lifecycle.status_property(_busy)  # type: ignore[assignment]
    Nodegroup.health = _health_property()  # type: ignore[assignment]
    Nodegroup.version = lifecycle.version_property()  # type: ignore[assignment]


def get_nodegroup(backend: EKSBackend, cluster_name: str, name: str) -> tuple[Any, Any]:
    cluster = get_cluster(backend, cluster_name)
    group = cluster.nodegroups.get(name)
    if group is None:
        raise errors.not_found(f"No node group found for name: {name}.", clusterName=cluster_name, nodegroupName=name)
    return cluster, group


def validate_create(backend: EKSBackend, cluster_name: str, body: dict[str, Any]) -> None:
    """Refuses a node-group version newer than its cluster's, as EKS does."""
    cluster = backend.clusters.get(cluster_name)
    version = body.get("version")
    if cluster is None or version is None:
        return
    if catalog.release(version) is None or _minor(version) > _minor(cluster.version):
        raise errors.invalid_parameter(
            f"Requested Nodegroup version {version} is invalid. Allowed values: {cluster.version} or older",
            clusterName=cluster_name,
        )


def _minor(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


CNI_POLICY_NAME = "AmazonEKS_CNI_Policy"
JOIN_FAILURE_MESSAGE = "Instances failed to join the kubernetes cluster"


def _role_policies(backend: EKSBackend, role_arn: str) -> set[str]:
    """The managed policy ARNs attached to the IAM role `role_arn` (none when it is unknown)."""
    from moto.iam.models import iam_backends

    try:
        iam = iam_backends[backend.account_id][backend.partition]
        return set(iam.get_role(role_arn.split("/")[-1]).managed_policies)
    except Exception:  # no such role (moto raises its NoSuchEntity): it grants nothing
        return set()


def cni_has_credentials(backend: EKSBackend, cluster: Any, node_role: str) -> bool:
    """Whether the VPC CNI (aws-node in kube-system) can call EC2, which nodes need to become
    Ready: it must be installed, and get AWS credentials from its IRSA role, from a pod identity
    association (served by the eks-pod-identity-agent add-on), or else from the node role, which
    then needs AmazonEKS_CNI_Policy (the credential chain falls through to the instance profile)."""
    state = extras(cluster)
    live = {name: addon for name, addon in state.addons.items() if addon.status not in ("DELETING", lifecycle.GONE)}
    cni = live.get("vpc-cni")
    if cni is None:
        return False
    if cni.service_account_role_arn:
        return True
    namespace = cni.namespace or "kube-system"
    associated = any(
        (association.namespace, association.service_account) == (namespace, "aws-node")
        for association in state.associations.values()
    )
    if associated and "eks-pod-identity-agent" in live:
        return True
    return any(arn.endswith(f":policy/{CNI_POLICY_NAME}") for arn in _role_policies(backend, node_role))


def _join_failure(group: Any) -> list[dict[str, Any]]:
    """The issue EKS reports when a node group's instances never become Ready nodes."""
    count = max(1, int((group.scaling_config or {}).get("desiredSize") or 1))
    instances = ["i-" + "".join(random.choice("0123456789abcdef") for _ in range(17)) for _ in range(count)]
    return [{"code": "NodeCreationFailure", "message": JOIN_FAILURE_MESSAGE, "resourceIds": instances}]


def complete_create(backend: EKSBackend, cluster: Any, group: Any, body: dict[str, Any]) -> None:
    """Reports what was sent, and EKS's defaults where nothing was; with `requireCni` set, a
    group whose nodes could not get a working CNI settles in CREATE_FAILED (config.py)."""
    group.remote_access = copy.deepcopy(body["remoteAccess"]) if "remoteAccess" in body else None
    group.scaling_config = copy.deepcopy(body.get("scalingConfig") or {"minSize": 1, "maxSize": 2, "desiredSize": 2})
    group.version = body.get("version") or cluster.version
    group.release_version = body.get("releaseVersion") or catalog.node_release_version(group.version, group.ami_type)
    group.update_config = copy.deepcopy(body.get("updateConfig") or {"maxUnavailable": 1})
    group.node_repair_config = copy.deepcopy(body.get("nodeRepairConfig") or {"enabled": False})
    if "launchTemplate" in body and "diskSize" not in body:
        group.disk_size = None
    elif "diskSize" in body:
        group.disk_size = body["diskSize"]
    else:
        group.disk_size = 20
    if "warmPoolConfig" in body:
        group.warm_pool_config = copy.deepcopy(body["warmPoolConfig"])
    failure = None
    if config.require_cni() and not cni_has_credentials(backend, cluster, group.node_role):
        failure = _join_failure(group)
    group.eksforge_join_failure = failure
    group.eksforge_phase = lifecycle.begin("CREATING", "CREATE_FAILED" if failure else "ACTIVE", "nodegroup")
    group.eksforge_updates_of = lambda: _running(cluster, group.nodegroup_name)


def _running(cluster: Any, name: str) -> bool:
    return any(u.scope == ("nodegroup", name) and u.in_progress for u in extras(cluster).updates)


def require_active(cluster_name: str, group: Any) -> None:
    if group.status != "ACTIVE":
        raise errors.in_use(
            f"Nodegroup {group.nodegroup_name} is in {group.status} state.",
            clusterName=cluster_name,
            nodegroupName=group.nodegroup_name,
        )


def record_config_update(backend: EKSBackend, cluster_name: str, name: str, moto_update: dict[str, Any]) -> dict[str, Any]:
    """Keeps moto's `UpdateNodegroupConfig` answer as an update that `DescribeUpdate` finds."""
    cluster, _ = get_nodegroup(backend, cluster_name, name)
    params = {param["type"]: param["value"] for param in moto_update.get("params", [])}
    return record(cluster, "ConfigUpdate", params, ("nodegroup", name)).view()


def update_version(backend: EKSBackend, cluster_name: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """`UpdateNodegroupVersion`: to the cluster's version (default), a release, or a template version."""
    cluster, group = get_nodegroup(backend, cluster_name, name)
    require_active(cluster_name, group)
    template = body.get("launchTemplate")
    if template is not None and not group.launch_template:
        raise errors.invalid_parameter(
            "You cannot specify a launch template for a node group that was not created with one.",
            clusterName=cluster_name,
            nodegroupName=name,
        )
    version = body.get("version") or cluster.version
    if _minor(version) > _minor(cluster.version):
        raise errors.invalid_parameter(
            f"Requested Nodegroup version {version} is invalid. Allowed values: {cluster.version} or older",
            clusterName=cluster_name,
            nodegroupName=name,
        )
    params: dict[str, Any] = {"Version": version}
    release = body.get("releaseVersion") or catalog.node_release_version(version, group.ami_type)
    params["ReleaseVersion"] = release
    if template is not None:
        for key, param in (("name", "LaunchTemplateName"), ("version", "LaunchTemplateVersion")):
            if template.get(key):
                params[param] = template[key]
    update = record(cluster, "VersionUpdate", params, ("nodegroup", name))
    lifecycle.begin_version_update(group, update, version)
    group.release_version = release
    if template is not None:
        merged = dict(group.launch_template)
        merged.update({k: v for k, v in template.items() if v})
        group.launch_template = merged
    return update.view()


def begin_delete(backend: EKSBackend, cluster_name: str, name: str) -> Any:
    """`DeleteNodegroup`: DELETING for the configured delay, then gone."""
    cluster, group = get_nodegroup(backend, cluster_name, name)
    group.eksforge_phase = lifecycle.begin("DELETING", lifecycle.GONE, "nodegroup")
    if group.eksforge_phase.done:
        del cluster.nodegroups[name]
        cluster.nodegroup_count -= 1
        group.eksforge_phase = lifecycle.steady("DELETING")
    return group
