"""EKS Pod Identity associations: a Kubernetes service account mapped to an IAM role."""

from __future__ import annotations

import re
from typing import Any

from moto.eks.models import EKSBackend

from .. import lifecycle
from . import errors
from .store import find, PodIdentityAssociation, eks_arn, extras, get_cluster, new_uuid, paginate, short_id

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
UPDATABLE = ("roleArn", "targetRoleArn", "disableSessionTags", "policy")
"""What UpdatePodIdentityAssociation can change; the API reference: "You must change at least
one of these in an update"."""


def check_role_arn(value: str | None, member: str) -> None:
    """EKS accepts only IAM role ARNs where a role is asked for."""
    if value is not None and not ROLE_ARN.match(value):
        raise errors.invalid_parameter(f"The {member} {value} is not a valid IAM role ARN.")


def create(
    backend: EKSBackend, cluster_name: str, body: dict[str, Any], owner_arn: str | None = None
) -> PodIdentityAssociation:
    cluster = get_cluster(backend, cluster_name)
    check_role_arn(body.get("roleArn"), "roleArn")
    check_role_arn(body.get("targetRoleArn"), "targetRoleArn")
    state = extras(cluster)
    for existing in state.associations.values():
        if (existing.namespace, existing.service_account) == (body["namespace"], body["serviceAccount"]):
            raise errors.in_use(
                f"Association already exists: {existing.association_id}",
                clusterName=cluster_name,
            )
    association_id = short_id("a-")
    association = PodIdentityAssociation(
        arn=eks_arn(backend, f"podidentityassociation/{cluster_name}/{association_id}"),
        tags=dict(body.get("tags") or {}),
        phase=lifecycle.steady("ACTIVE"),
        association_id=association_id,
        cluster_name=cluster_name,
        namespace=body["namespace"],
        service_account=body["serviceAccount"],
        role_arn=body["roleArn"],
        owner_arn=owner_arn,
        disable_session_tags=bool(body.get("disableSessionTags", False)),
        target_role_arn=body.get("targetRoleArn"),
        external_id=new_uuid() if body.get("targetRoleArn") else None,
        policy=body.get("policy"),
    )
    state.associations[association_id] = association
    return association


def get(backend: EKSBackend, cluster_name: str, association_id: str) -> PodIdentityAssociation:
    missing = f"No Pod Identity Association found for id: {association_id}"
    return find(backend, cluster_name, "associations", association_id, missing)


def _refuse_owned(association: PodIdentityAssociation) -> None:
    if association.owner_arn:
        raise errors.invalid_request(
            f"Association {association.association_id} is owned by {association.owner_arn}; change it through the add-on.",
            clusterName=association.cluster_name,
        )


def update(backend: EKSBackend, cluster_name: str, association_id: str, body: dict[str, Any]) -> PodIdentityAssociation:
    association = get(backend, cluster_name, association_id)
    _refuse_owned(association)
    if not any(body.get(member) is not None for member in UPDATABLE):
        raise errors.invalid_parameter(
            "At least one of roleArn, targetRoleArn, disableSessionTags or policy must be specified.",
            clusterName=cluster_name,
        )
    check_role_arn(body.get("roleArn"), "roleArn")
    check_role_arn(body.get("targetRoleArn"), "targetRoleArn")
    if body.get("roleArn"):
        association.role_arn = body["roleArn"]
    if "disableSessionTags" in body:
        association.disable_session_tags = bool(body["disableSessionTags"])
    if "targetRoleArn" in body:
        association.target_role_arn = body["targetRoleArn"] or None
        association.external_id = new_uuid() if association.target_role_arn else None
    if "policy" in body:
        association.policy = body["policy"] or None
    association.touch()
    return association


def delete(backend: EKSBackend, cluster_name: str, association_id: str, by_owner: bool = False) -> PodIdentityAssociation:
    association = get(backend, cluster_name, association_id)
    if not by_owner:
        _refuse_owned(association)
    del extras(get_cluster(backend, cluster_name)).associations[association_id]
    return association


def list_summaries(
    backend: EKSBackend,
    cluster_name: str,
    namespace: str | None,
    service_account: str | None,
    max_results: int | None,
    next_token: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    cluster = get_cluster(backend, cluster_name)
    matching = [
        a.summary()
        for a in extras(cluster).associations.values()
        if (namespace is None or a.namespace == namespace)
        and (service_account is None or a.service_account == service_account)
    ]
    return paginate(matching, max_results, next_token)
