"""EKS add-ons: created from the catalog's versions, updated by recorded updates.

`configurationValues` is checked against the schema `DescribeAddonConfiguration` answers and
kept exactly as sent; an add-on's `podIdentityAssociations` are associations it owns.
"""

from __future__ import annotations

import json
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


CONFIGURATION_REFUSED = "ConfigurationValue provided in request is not supported: "
_JSON_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
    (type(None), "null"),
)


def _json_type(value: Any) -> str:
    return next(name for kind, name in _JSON_TYPES if isinstance(value, kind))


def _parse_configuration(text: str) -> Any:
    """EKS takes configuration values as JSON or YAML."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml

        return yaml.safe_load(text)
    except Exception:  # not YAML either (or no YAML parser): refused below
        raise errors.invalid_parameter(
            CONFIGURATION_REFUSED + "the value is neither valid JSON nor valid YAML"
        ) from None


def check_configuration(name: str, text: str | None) -> None:
    """Refuses `configurationValues` the add-on's schema does not allow, in EKS's words
    (`Json schema validation failed with error: [$.key: ...]`). Empty means the defaults."""
    info = catalog.addon(name)
    if text is None or info is None or not text.strip():
        return
    values = _parse_configuration(text)
    problems: list[str] = []
    if not isinstance(values, dict):
        problems.append(f"$: {_json_type(values)} found, object expected")
    else:
        for key, value in values.items():
            expected = info.schema_properties.get(key)
            found = _json_type(value)
            if expected is None:
                problems.append(f"$.{key}: is not defined in the schema and the schema does not allow additional properties")
            elif found != expected and not (expected == "number" and found == "integer"):
                problems.append(f"$.{key}: {found} found, {expected} expected")
    if problems:
        raise errors.invalid_parameter(
            CONFIGURATION_REFUSED + f"Json schema validation failed with error: [{', '.join(problems)}]"
        )


def _check_associations(
    backend: EKSBackend, cluster_name: str, namespace: str, wanted: list[dict[str, str]], owner: str | None
) -> None:
    """Refuses the whole request before any association is made: a role that is not a role,
    a service account named twice, or one another association already maps."""
    seen: set[str] = set()
    state = extras(get_cluster(backend, cluster_name))
    for item in wanted:
        pod_identity.check_role_arn(item["roleArn"], "roleArn")
        account = item["serviceAccount"]
        if account in seen:
            raise errors.invalid_parameter(f"Service account {account} is specified more than once in podIdentityAssociations.")
        seen.add(account)
        for existing in state.associations.values():
            if (existing.namespace, existing.service_account) == (namespace, account) and (
                owner is None or existing.owner_arn != owner
            ):
                raise errors.in_use(
                    f"Association already exists: {existing.association_id}", clusterName=cluster_name
                )


def _associate(backend: EKSBackend, addon: Addon, wanted: list[dict[str, str]]) -> None:
    """Makes the add-on own exactly `wanted`: an association of a service account it already
    maps keeps its id and takes the new role; the others are created or deleted."""
    state = extras(get_cluster(backend, addon.cluster_name))
    owned = {a.service_account: a for a in state.associations.values() if a.owner_arn == addon.arn}
    roles = {item["serviceAccount"]: item["roleArn"] for item in wanted}
    for account, association in owned.items():
        if account not in roles:
            pod_identity.delete(backend, addon.cluster_name, association.association_id, by_owner=True)
        elif association.role_arn != roles[account]:
            association.role_arn = roles[account]
            association.touch()
    arns = []
    for account, role_arn in roles.items():
        association = owned.get(account)
        if association is None:
            body = {"namespace": addon.namespace or "kube-system", "serviceAccount": account, "roleArn": role_arn}
            association = pod_identity.create(backend, addon.cluster_name, body, owner_arn=addon.arn)
        arns.append(association.arn)
    addon.pod_identity_association_arns = arns


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
    check_configuration(name, body.get("configurationValues"))
    namespace = (body.get("namespaceConfig") or {}).get("namespace")
    wanted = body.get("podIdentityAssociations") or []
    _check_associations(backend, cluster_name, namespace or "kube-system", wanted, owner=None)
    addon = Addon(
        arn=eks_arn(backend, f"addon/{cluster_name}/{name}/{new_uuid()}"),
        tags=dict(body.get("tags") or {}),
        phase=lifecycle.begin("CREATING", "ACTIVE", "addon"),
        name=name,
        cluster_name=cluster_name,
        version=version,
        service_account_role_arn=body.get("serviceAccountRoleArn"),
        configuration_values=body.get("configurationValues"),
        resolve_conflicts=body.get("resolveConflicts"),
        namespace=namespace,
        cluster=cluster,
    )
    _associate(backend, addon, wanted)
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
        check_configuration(name, body["configurationValues"])
        params["ConfigurationValues"] = body["configurationValues"]
    if "podIdentityAssociations" in body:
        wanted = body["podIdentityAssociations"] or []
        _check_associations(backend, cluster_name, addon.namespace or "kube-system", wanted, owner=addon.arn)
        params["PodIdentityAssociations"] = wanted
    update = record(cluster, "AddonUpdate", params, ("addon", name))
    if "AddonVersion" in params:
        addon.version = params["AddonVersion"]
    if "ServiceAccountRoleArn" in params:
        addon.service_account_role_arn = params["ServiceAccountRoleArn"] or None
    if "ConfigurationValues" in params:
        addon.configuration_values = params["ConfigurationValues"]
    if "ResolveConflicts" in params:
        addon.resolve_conflicts = params["ResolveConflicts"]
    if "PodIdentityAssociations" in params:
        _associate(backend, addon, params["PodIdentityAssociations"])
    addon.phase = lifecycle.begin("UPDATING", "ACTIVE", "addon")
    addon.touch()
    return update.view()


def delete(backend: EKSBackend, cluster_name: str, name: str) -> Addon:
    addon = get(backend, cluster_name, name)
    _associate(backend, addon, [])
    addon.phase = lifecycle.begin("DELETING", lifecycle.GONE, "addon")
    if addon.gone:
        extras(get_cluster(backend, cluster_name)).addons.pop(name, None)
        addon.phase = lifecycle.steady("DELETING")
    return addon


def list_names(backend: EKSBackend, cluster_name: str, max_results: int | None, next_token: str | None) -> tuple[list[str], str | None]:
    cluster = get_cluster(backend, cluster_name)
    return paginate(sorted(extras(cluster).addons), max_results, next_token)
