"""EKS access entries and the access policies associated with them."""

from __future__ import annotations

import re
from typing import Any

from moto.core.utils import utcnow
from moto.eks.models import EKSBackend

from .. import lifecycle
from . import catalog, errors
from .store import find, AccessEntry, AssociatedPolicy, eks_arn, extras, get_cluster, new_uuid, paginate

PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")
ENTRY_TYPES = ("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX")


def _require_api_mode(cluster: Any) -> None:
    mode = getattr(cluster, "access_config", {}).get("authenticationMode", "CONFIG_MAP")
    if mode == "CONFIG_MAP":
        raise errors.invalid_request(
            "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
            clusterName=cluster.name,
        )


def _check_groups(groups: list[str], entry_type: str) -> None:
    if groups and entry_type != "STANDARD":
        raise errors.invalid_parameter(f"kubernetesGroups cannot be specified for access entries of type {entry_type}.")
    for group in groups:
        if group.startswith("system:"):
            raise errors.invalid_parameter(f"The kubernetes group name {group} is invalid, it cannot start with system:")


def _default_username(principal: str, kind: str, name: str, account: str, entry_type: str) -> str:
    if entry_type in ("EC2_LINUX", "EC2_WINDOWS", "HYBRID_LINUX", "EC2", "HYPERPOD_LINUX"):
        return "system:node:{{EC2PrivateDNSName}}"
    if entry_type == "FARGATE_LINUX":
        return "system:node:{{SessionName}}"
    if kind == "role":
        return f"arn:aws:sts::{account}:assumed-role/{name}/{{{{SessionName}}}}"
    return principal


def create(backend: EKSBackend, cluster_name: str, body: dict[str, Any]) -> AccessEntry:
    cluster = get_cluster(backend, cluster_name)
    _require_api_mode(cluster)
    principal = body["principalArn"]
    match = PRINCIPAL.match(principal)
    if not match:
        raise errors.invalid_parameter(f"The specified principalArn is invalid: {principal}", clusterName=cluster_name)
    entry_type = body.get("type") or "STANDARD"
    if entry_type not in ENTRY_TYPES:
        raise errors.invalid_parameter(f"The access entry type {entry_type} is invalid.", clusterName=cluster_name)
    groups = list(body.get("kubernetesGroups") or [])
    _check_groups(groups, entry_type)
    state = extras(cluster)
    if principal in state.access_entries:
        raise errors.in_use("The specified access entry resource is already in use on this cluster.", clusterName=cluster_name)
    account, kind, name = match.groups()
    entry = AccessEntry(
        arn=eks_arn(backend, f"access-entry/{cluster_name}/{kind}/{account}/{name}/{new_uuid()}"),
        tags=dict(body.get("tags") or {}),
        phase=lifecycle.steady("ACTIVE"),
        cluster_name=cluster_name,
        principal_arn=principal,
        kubernetes_groups=groups,
        username=body.get("username") or _default_username(principal, kind, name, account, entry_type),
        type=entry_type,
    )
    state.access_entries[principal] = entry
    return entry


def get(backend: EKSBackend, cluster_name: str, principal: str) -> AccessEntry:
    missing = f"The specified principalArn could not be found: {principal}"
    return find(backend, cluster_name, "access_entries", principal, missing)


def update(backend: EKSBackend, cluster_name: str, principal: str, body: dict[str, Any]) -> AccessEntry:
    entry = get(backend, cluster_name, principal)
    if "kubernetesGroups" in body:
        groups = list(body["kubernetesGroups"] or [])
        _check_groups(groups, entry.type)
        entry.kubernetes_groups = groups
    if body.get("username"):
        if entry.type != "STANDARD":
            raise errors.invalid_parameter(f"username cannot be changed for access entries of type {entry.type}.")
        entry.username = body["username"]
    entry.touch()
    return entry


def delete(backend: EKSBackend, cluster_name: str, principal: str) -> None:
    get(backend, cluster_name, principal)
    del extras(get_cluster(backend, cluster_name)).access_entries[principal]


def list_principals(
    backend: EKSBackend, cluster_name: str, policy_arn: str | None, max_results: int | None, next_token: str | None
) -> tuple[list[str], str | None]:
    cluster = get_cluster(backend, cluster_name)
    principals = [
        principal
        for principal, entry in sorted(extras(cluster).access_entries.items())
        if policy_arn is None or policy_arn in entry.policies
    ]
    return paginate(principals, max_results, next_token)


def _check_scope(scope: dict[str, Any]) -> dict[str, Any]:
    kind = scope.get("type")
    namespaces = list(scope.get("namespaces") or [])
    if kind == "namespace" and not namespaces:
        raise errors.invalid_parameter("At least one namespace must be specified for an access scope of type namespace.")
    if kind == "cluster" and namespaces:
        raise errors.invalid_parameter("Namespaces cannot be specified for an access scope of type cluster.")
    if kind not in ("cluster", "namespace"):
        raise errors.invalid_parameter("The access scope type must be cluster or namespace.")
    return {"type": kind, "namespaces": namespaces}


def associate(backend: EKSBackend, cluster_name: str, principal: str, body: dict[str, Any]) -> AssociatedPolicy:
    entry = get(backend, cluster_name, principal)
    if entry.type != "STANDARD":
        raise errors.invalid_request(f"Access policies can only be associated with STANDARD access entries, not {entry.type}.")
    policy_arn = body["policyArn"]
    if not catalog.is_access_policy(policy_arn):
        raise errors.invalid_parameter(f"The specified policyArn is invalid: {policy_arn}", clusterName=cluster_name)
    scope = _check_scope(body["accessScope"])
    existing = entry.policies.get(policy_arn)
    if existing is not None:
        existing.access_scope = scope
        existing.modified_at = utcnow()
        return existing
    associated = AssociatedPolicy(policy_arn, scope)
    entry.policies[policy_arn] = associated
    return associated


def disassociate(backend: EKSBackend, cluster_name: str, principal: str, policy_arn: str) -> None:
    entry = get(backend, cluster_name, principal)
    if entry.policies.pop(policy_arn, None) is None:
        raise errors.not_found(f"The specified policy {policy_arn} is not associated with {principal}", clusterName=cluster_name)


def list_associated(
    backend: EKSBackend, cluster_name: str, principal: str, max_results: int | None, next_token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    entry = get(backend, cluster_name, principal)
    views = [entry.policies[arn].view() for arn in sorted(entry.policies)]
    return paginate(views, max_results, next_token)


def list_policies(max_results: int | None, next_token: str | None) -> tuple[list[dict[str, str]], str | None]:
    policies = [{"name": name, "arn": catalog.access_policy_arn(name)} for name in catalog.ACCESS_POLICY_NAMES]
    return paginate(policies, max_results, next_token)
