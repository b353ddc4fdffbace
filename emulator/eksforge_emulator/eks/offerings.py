"""Read-only EKS answers built from the catalog: versions, add-on versions and schemas, insights."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

from moto.core.utils import utcnow
from moto.eks.models import EKSBackend

from .. import config
from . import catalog, errors
from .store import extras, get_cluster, paginate


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def cluster_versions(query: dict[str, Any], today: date | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """`DescribeClusterVersions`: versions in support unless `includeAll`, filtered as asked."""
    today = today or utcnow().date()
    wanted = set(query.get("clusterVersions") or [])
    views = []
    for release in catalog.KUBERNETES_RELEASES:
        status, version_status = release.support_status(today)
        is_default = release.version == catalog.DEFAULT_KUBERNETES_VERSION
        if wanted and release.version not in wanted:
            continue
        if not wanted and not query.get("includeAll") and status == "unsupported":
            continue
        if query.get("defaultOnly") and not is_default:
            continue
        if query.get("status") and query["status"] != status:
            continue
        if query.get("versionStatus") and query["versionStatus"] != version_status:
            continue
        views.append(
            {
                "clusterVersion": release.version,
                "clusterType": "eks",
                "defaultPlatformVersion": catalog.DEFAULT_PLATFORM_VERSION,
                "defaultVersion": is_default,
                "releaseDate": _midnight(release.released),
                "endOfStandardSupportDate": _midnight(release.end_of_standard),
                "endOfExtendedSupportDate": _midnight(release.end_of_extended),
                "status": status,
                "versionStatus": version_status,
                "kubernetesPatchVersion": release.patch,
            }
        )
    views.sort(key=lambda view: [int(part) for part in view["clusterVersion"].split(".")], reverse=True)
    return paginate(views, query.get("maxResults"), query.get("nextToken"))


def addon_versions(query: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """`DescribeAddonVersions`, filtered by add-on, Kubernetes version, type, publisher, owner."""
    kubernetes = query.get("kubernetesVersion")
    views = []
    for info in catalog.ADDONS:
        if query.get("addonName") and query["addonName"] != info.name:
            continue
        if query.get("types") and info.type not in query["types"]:
            continue
        if query.get("publishers") and "eks" not in query["publishers"]:
            continue
        if query.get("owners") and "aws" not in query["owners"]:
            continue
        versions = []
        for version in info.versions:
            clusters = [k for k in version.kubernetes if kubernetes is None or k == kubernetes]
            if not clusters:
                continue
            versions.append(
                {
                    "addonVersion": version.version,
                    "architecture": ["amd64", "arm64"],
                    "computeTypes": ["ec2", "hybrid"],
                    "compatibilities": [
                        {"clusterVersion": k, "platformVersions": ["*"], "defaultVersion": k in version.default_for}
                        for k in clusters
                    ],
                    "requiresConfiguration": False,
                    "requiresIamPermissions": info.requires_iam,
                }
            )
        if versions:
            views.append(
                {
                    "addonName": info.name,
                    "type": info.type,
                    "addonVersions": versions,
                    "publisher": "eks",
                    "owner": "aws",
                    "defaultNamespace": "kube-system",
                }
            )
    return paginate(views, query.get("maxResults"), query.get("nextToken"))


def addon_configuration(name: str, version: str) -> dict[str, Any]:
    """`DescribeAddonConfiguration`: a JSON schema of the add-on's configuration values."""
    info = catalog.addon(name)
    if info is None or catalog.addon_version(info, version) is None:
        raise errors.invalid_parameter(f"Addon {name} with version {version} is not supported.")
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "additionalProperties": False,
        "properties": {key: {"type": kind} for key, kind in info.schema_properties.items()},
    }
    answer: dict[str, Any] = {
        "addonName": name,
        "addonVersion": version,
        "configurationSchema": json.dumps(schema),
        "podIdentityConfiguration": [],
    }
    if info.service_account:
        answer["podIdentityConfiguration"] = [
            {"serviceAccount": info.service_account, "recommendedManagedPolicies": list(info.recommended_policies)}
        ]
    return answer


_INSIGHTS = (
    ("UPGRADE_READINESS", "Deprecated APIs removed in Kubernetes v{next}", "Checks for usage of deprecated APIs removed in v{next}."),
    ("UPGRADE_READINESS", "Kubelet version skew", "Checks for kubelet versions of worker nodes in the cluster."),
    ("UPGRADE_READINESS", "Amazon EKS add-on version compatibility", "Checks version of installed EKS add-ons for compatibility with the next Kubernetes version."),
    ("MISCONFIGURATION", "Cluster health issues", "Checks for any cluster health issues that prevent successful upgrade."),
)


def _insights(backend: EKSBackend, cluster: Any) -> list[dict[str, Any]]:
    """A fixed set of insights per cluster, with ids stable for the cluster's ARN."""
    target = catalog.next_minor(cluster.version) or cluster.version
    addons_ok = all(
        (info := catalog.addon(a.name)) is not None
        and (v := catalog.addon_version(info, a.version)) is not None
        and target in v.kubernetes
        for a in extras(cluster).addons.values()
    )
    insights = []
    for category, name, description in _INSIGHTS:
        name = name.format(next=target)
        passing = addons_ok or "add-on" not in name
        insights.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster.arn}/{name}")),
                "name": name,
                "category": category,
                "kubernetesVersion": target if category == "UPGRADE_READINESS" else cluster.version,
                "lastRefreshTime": utcnow(),
                "lastTransitionTime": cluster.created_at,
                "description": description.format(next=target),
                "insightStatus": {
                    "status": "PASSING" if passing else "WARNING",
                    "reason": "No issues found." if passing else "An installed add-on is not compatible with the next version.",
                },
            }
        )
    for plant in config.planted_insights(cluster.name):
        insights.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster.arn}/planted/{plant.name}")),
                "name": plant.name,
                "category": "UPGRADE_READINESS",
                "kubernetesVersion": plant.kubernetes_version or target,
                "lastRefreshTime": utcnow(),
                "lastTransitionTime": cluster.created_at,
                "description": plant.name,
                "insightStatus": {"status": plant.status, "reason": plant.reason},
                "eksforgeRecommendation": plant.recommendation,
            }
        )
    return insights


def list_insights(backend: EKSBackend, cluster_name: str, body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    cluster = get_cluster(backend, cluster_name)
    wanted = body.get("filter") or {}
    matching = [
        {key: value for key, value in insight.items() if not key.startswith("eksforge")}
        for insight in _insights(backend, cluster)
        if (not wanted.get("categories") or insight["category"] in wanted["categories"])
        and (not wanted.get("kubernetesVersions") or insight["kubernetesVersion"] in wanted["kubernetesVersions"])
        and (not wanted.get("statuses") or insight["insightStatus"]["status"] in wanted["statuses"])
    ]
    return paginate(matching, body.get("maxResults"), body.get("nextToken"))


def describe_insight(backend: EKSBackend, cluster_name: str, insight_id: str) -> dict[str, Any]:
    cluster = get_cluster(backend, cluster_name)
    for insight in _insights(backend, cluster):
        if insight["id"] == insight_id:
            detail = {key: value for key, value in insight.items() if not key.startswith("eksforge")}
            default = "No action needed." if insight["insightStatus"]["status"] == "PASSING" else "Update the add-ons first."
            detail.update(
                recommendation=insight.get("eksforgeRecommendation", default),
                additionalInfo={},
                resources=[],
                categorySpecificSummary={"deprecationDetails": [], "addonCompatibilityDetails": []},
            )
            return detail
    raise errors.not_found(f"No insight found for id: {insight_id}", clusterName=cluster_name)
