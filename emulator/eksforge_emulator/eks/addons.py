"""EKS add-ons: created from the catalog's versions, updated by recorded updates."""

from __future__ import annotations

from typing import Any

from moto.eks.models import EKSBackend

from .. import lifecycle
from . import catalog, errors, pod_identity
from .store import find, Addon, eks_arn, extras, get_cluster, new_uuid, paginate
from .updates import record


def _checked_version(name: str, requested: str | None, kubernetes: str) -> str:
    info = catalog.addon(name)
    if info is None:
        raise errors.invalid_parameter(f"Addon {name} specified is not supported in {kubernetes} kubernetes version")
    if requested is None:
        default = catalog.default_addon_version(info, kubernetes)
        if default is None:
            raise errors.invalid_parameter(f"Addon {name} specified is not supported in {kubernetes} kubernetes version")
        return default
    known = catalog.addon_version(info, requested)
    if known is None or kubernetes not in known.kubernetes:
        raise errors.invalid_parameter(
            f"Addon version specified is not supported for addon {name} on Kubernetes version {kubernetes}"
        )
    return requested


def _associations(backend: EKSBackend, cluster_name: str, addon_arn: str, wanted: list[dict[str, str]]) -> list[str]:
    """Creates the add-on's own pod identity associations (owned by it, in kube-system)."""
    arns = []
    for item in wanted:
        association = pod_identity.create(
            backend,
            cluster_name,
            {"namespace": "kube-system", "serviceAccount": item["serviceAccount"], "roleArn": item["roleArn"]},
            owner_arn=addon_arn,
        )
        arns.append(association.arn)
    return arns


def _drop_associations(backend: EKSBackend, cluster_name: str, addon: Addon) -> None:
    state = extras(get_cluster(backend, cluster_name))
    for association in list(state.associations.values()):
        if association.owner_arn == addon.arn:
            pod_identity.delete(backend, cluster_name, association.association_id, by_owner=True)
    addon.pod_identity_association_arns = []


def create(backend: EKSBackend, cluster_name: str, body: dict[str, Any]) -> Addon:
    cluster = get_cluster(backend, cluster_name)
    name = body["addonName"]
    state = extras(cluster)
    if name in state.addons:
        raise errors.in_use("Addon already exists.", clusterName=cluster_name, addonName=name)
    if cluster.status != "ACTIVE":
        raise errors.invalid_request(f"Cluster '{cluster_name}' is not in ACTIVE status", clusterName=cluster_name)
    version = _checked_version(name, body.get("addonVersion"), cluster.version)
    pod_identity.check_role_arn(body.get("serviceAccountRoleArn"), "serviceAccountRoleArn")
    arn = eks_arn(backend, f"addon/{cluster_name}/{name}/{new_uuid()}")
    addon = Addon(
        arn=arn,
        tags=dict(body.get("tags") or {}),
        phase=lifecycle.begin("CREATING", "ACTIVE"),
        name=name,
        cluster_name=cluster_name,
        version=version,
        service_account_role_arn=body.get("serviceAccountRoleArn"),
        configuration_values=body.get("configurationValues"),
        resolve_conflicts=body.get("resolveConflicts"),
        namespace=(body.get("namespaceConfig") or {}).get("namespace"),
    )
    addon.pod_identity_association_arns = _associations(backend, cluster_name, arn, body.get("podIdentityAssociations") or [])
    state.addons[name] = addon
    return addon


def get(backend: EKSBackend, cluster_name: str, name: str) -> Addon:
    missing = f"No addon: {name} found in cluster: {cluster_name}"
    return find(backend, cluster_name, "addons", name, missing)


def update(backend: EKSBackend, cluster_name: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    addon = get(backend, cluster_name, name)
    if addon.status not in ("ACTIVE", "DEGRADED", "UPDATE_FAILED", "CREATE_FAILED"):
        raise errors.in_use(f"Addon {name} is in {addon.status} state.", clusterName=cluster_name, addonName=name)
    cluster = get_cluster(backend, cluster_name)
    params: dict[str, Any] = {}
    if body.get("addonVersion"):
        params["AddonVersion"] = _checked_version(name, body["addonVersion"], cluster.version)
    if "serviceAccountRoleArn" in body:
        pod_identity.check_role_arn(body["serviceAccountRoleArn"] or None, "serviceAccountRoleArn")
        params["ServiceAccountRoleArn"] = body["serviceAccountRoleArn"]
    if body.get("resolveConflicts"):
        params["ResolveConflicts"] = body["resolveConflicts"]
    if "configurationValues" in body:
        params["ConfigurationValues"] = body["configurationValues"]
    if "podIdentityAssociations" in body:
        params["PodIdentityAssociations"] = body["podIdentityAssociations"]
    update = record(cluster, "AddonUpdate", params, ("addon", name))
    if "AddonVersion" in params:
        addon.version = params["AddonVersion"]
    if "ServiceAccountRoleArn" in params:
        addon.service_account_role_arn = params["ServiceAccountRoleArn"] or None
    if "ConfigurationValues" in params:
        addon.configuration_values = params["ConfigurationValues"]
    if "ResolveConflicts" in params:
        addon.resolve_conflicts = params["ResolveConflicts"]
    if "podIdentityAssociations" in body:
        _drop_associations(backend, cluster_name, addon)
        addon.pod_identity_association_arns = _associations(
            backend, cluster_name, addon.arn, body["podIdentityAssociations"] or []
        )
    addon.phase = lifecycle.begin("UPDATING", "ACTIVE")
    addon.touch()
    return update.view()


def delete(backend: EKSBackend, cluster_name: str, name: str) -> Addon:
    addon = get(backend, cluster_name, name)
    _drop_associations(backend, cluster_name, addon)
    addon.phase = lifecycle.begin("DELETING", lifecycle.GONE)
    if addon.gone:
        extras(get_cluster(backend, cluster_name)).addons.pop(name, None)
        addon.phase = lifecycle.steady("DELETING")
    return addon


def list_names(backend: EKSBackend, cluster_name: str, max_results: int | None, next_token: str | None) -> tuple[list[str], str | None]:
    cluster = get_cluster(backend, cluster_name)
    return paginate(sorted(extras(cluster).addons), max_results, next_token)
