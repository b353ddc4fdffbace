"""Where the extension keeps its EKS state: on moto's own `Cluster` objects.

Keeping add-ons, associations, access entries and updates on the cluster means they vanish
with it (as in EKS) and with `/moto-api/reset` (which rebuilds moto's backends), with no
second store to keep in step.
"""

from __future__ import annotations

import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.eks.models import EKSBackend
from moto.moto_api._internal import mock_random as random

from .. import lifecycle
from . import errors, health


def new_uuid() -> str:
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def short_id(prefix: str, length: int = 17) -> str:
    """Ids like `a-0123456789abcdefg` (pod identity associations)."""
    alphabet = string.ascii_lowercase + string.digits
    return prefix + "".join(random.choice(alphabet) for _ in range(length))


@dataclass
class Resource:
    """What every extension resource has: an ARN, tags, times and a status that transitions."""

    arn: str
    tags: dict[str, str]
    phase: lifecycle.Phase
    created_at: Any = field(default_factory=utcnow)
    modified_at: Any = field(default_factory=utcnow)

    @property
    def status(self) -> str:
        return self.phase.status()

    @property
    def gone(self) -> bool:
        return self.status == lifecycle.GONE

    def touch(self) -> None:
        self.modified_at = utcnow()


@dataclass
class Addon(Resource):
    name: str = ""
    cluster_name: str = ""
    version: str = ""
    service_account_role_arn: str | None = None
    configuration_values: str | None = None
    resolve_conflicts: str | None = None
    namespace: str | None = None
    pod_identity_association_arns: list[str] = field(default_factory=list)
    cluster: Any = field(default=None, repr=False, compare=False)
    """moto's cluster the add-on runs on: its node groups decide the add-on's health."""

    def condition(self) -> tuple[str, list[dict[str, Any]]]:
        """`(status, health issues)` as read now (see health.py)."""
        status = self.phase.status()
        if not self.phase.done or self.cluster is None:
            return status, []
        return health.addon_condition(self.cluster, self.name, status)

    @property
    def status(self) -> str:
        return self.condition()[0]

    def view(self) -> dict[str, Any]:
        """The `Addon` structure of the API reference."""
        status, issues = self.condition()
        view: dict[str, Any] = {
            "addonName": self.name,
            "clusterName": self.cluster_name,
            "status": status,
            "addonVersion": self.version,
            "health": {"issues": issues},
            "addonArn": self.arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": dict(self.tags),
            "publisher": "eks",
            "owner": "aws",
            "podIdentityAssociations": list(self.pod_identity_association_arns),
        }
        if self.service_account_role_arn:
            view["serviceAccountRoleArn"] = self.service_account_role_arn
        if self.configuration_values is not None:
            view["configurationValues"] = self.configuration_values
        if self.namespace:
            view["namespaceConfig"] = {"namespace": self.namespace}
        return view


@dataclass
class PodIdentityAssociation(Resource):
    association_id: str = ""
    cluster_name: str = ""
    namespace: str = ""
    service_account: str = ""
    role_arn: str = ""
    owner_arn: str | None = None
    disable_session_tags: bool = False
    target_role_arn: str | None = None
    external_id: str | None = None
    policy: str | None = None

    def summary(self) -> dict[str, Any]:
        """The `PodIdentityAssociationSummary` structure (what the list call returns)."""
        view: dict[str, Any] = {
            "clusterName": self.cluster_name,
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "associationArn": self.arn,
            "associationId": self.association_id,
        }
        if self.owner_arn:
            view["ownerArn"] = self.owner_arn
        return view

    def view(self) -> dict[str, Any]:
        """The `PodIdentityAssociation` structure."""
        view = self.summary()
        view.update(
            roleArn=self.role_arn,
            tags=dict(self.tags),
            createdAt=self.created_at,
            modifiedAt=self.modified_at,
            disableSessionTags=self.disable_session_tags,
        )
        for key, value in (
            ("targetRoleArn", self.target_role_arn),
            ("externalId", self.external_id),
            ("policy", self.policy),
        ):
            if value is not None:
                view[key] = value
        return view


@dataclass
class AssociatedPolicy:
    policy_arn: str
    access_scope: dict[str, Any]
    associated_at: Any = field(default_factory=utcnow)
    modified_at: Any = field(default_factory=utcnow)

    def view(self) -> dict[str, Any]:
        return {
            "policyArn": self.policy_arn,
            "accessScope": self.access_scope,
            "associatedAt": self.associated_at,
            "modifiedAt": self.modified_at,
        }


@dataclass
class AccessEntry(Resource):
    cluster_name: str = ""
    principal_arn: str = ""
    kubernetes_groups: list[str] = field(default_factory=list)
    username: str = ""
    type: str = "STANDARD"
    policies: dict[str, AssociatedPolicy] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        """The `AccessEntry` structure."""
        return {
            "clusterName": self.cluster_name,
            "principalArn": self.principal_arn,
            "kubernetesGroups": list(self.kubernetes_groups),
            "accessEntryArn": self.arn,
            "createdAt": self.created_at,
            "modifiedAt": self.modified_at,
            "tags": dict(self.tags),
            "username": self.username,
            "type": self.type,
        }


@dataclass
class Update:
    """An EKS update: of the cluster, or of one node group or add-on (`scope`)."""

    id: str
    type: str
    params: list[dict[str, str]]
    phase: lifecycle.Phase
    scope: tuple[str, str] | None = None
    created_at: Any = field(default_factory=utcnow)

    @property
    def in_progress(self) -> bool:
        return self.phase.status() == "InProgress"

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.phase.status(),
            "type": self.type,
            "params": self.params,
            "createdAt": self.created_at,
            "errors": [],
        }


@dataclass
class ClusterExtras:
    """Everything the extension adds to one moto cluster."""

    addons: dict[str, Addon] = field(default_factory=dict)
    associations: dict[str, PodIdentityAssociation] = field(default_factory=dict)
    access_entries: dict[str, AccessEntry] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)

    def purge(self) -> None:
        """Drops what finished deleting, so lists and describes no longer see it."""
        for table in (self.addons, self.associations, self.access_entries):
            for key in [key for key, item in table.items() if item.gone]:
                del table[key]


def extras(cluster: Any) -> ClusterExtras:
    """The extension's state of `cluster`, created on first use."""
    found = getattr(cluster, "eksforge_extras", None)
    if found is None:
        found = ClusterExtras()
        cluster.eksforge_extras = found
    return found


def cluster_not_found(name: str) -> Exception:
    return errors.not_found(f"No cluster found for name: {name}.", clusterName=name)


def get_cluster(backend: EKSBackend, name: str) -> Any:
    """moto's cluster `name`, or EKS's 404 naming it."""
    cluster = backend.clusters.get(name)
    if cluster is None:
        raise cluster_not_found(name)
    extras(cluster).purge()
    return cluster


def find(backend: EKSBackend, cluster_name: str, table: str, key: str, missing: str) -> Any:
    """The add-on, association or access entry `key` of a cluster (`table` names which), or
    EKS's 404 with the `missing` message."""
    cluster = get_cluster(backend, cluster_name)
    found = getattr(extras(cluster), table).get(key)
    if found is None:
        raise errors.not_found(missing, clusterName=cluster_name)
    return found


def eks_arn(backend: EKSBackend, resource: str) -> str:
    return f"arn:{backend.partition}:eks:{backend.region_name}:{backend.account_id}:{resource}"


def paginate(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """EKS-style pages: the token is the index of the next item, opaque to the caller."""
    start = 0
    if next_token:
        try:
            start = int(next_token)
        except ValueError:
            raise errors.invalid_parameter("The nextToken provided is not valid.") from None
    size = max_results or 100
    page = items[start : start + size]
    following = start + size
    return page, (str(following) if following < len(items) else None)
