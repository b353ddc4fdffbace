"""What EKS offers, as data: Kubernetes versions, add-on versions, access policies.

The Kubernetes calendar matches eksforge's (src/blueprint/kubernetes_calendar.rs, which the
audit reads), so `DescribeClusterVersions` and the audit agree. Add-on versions follow the published naming
(`v<semver>-eksbuild.<n>`), one default per Kubernetes version, for the add-ons a hardened
cluster uses. Configuration schemas name the top-level keys of the published schemas, one JSON
type each (what `DescribeAddonConfiguration` answers and `configurationValues` is checked
against); the keys below them are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

DEFAULT_KUBERNETES_VERSION = "1.34"
DEFAULT_PLATFORM_VERSION = "eks.1"
AWS_PARTITION_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


@dataclass(frozen=True)
class KubernetesRelease:
    """One minor version: when EKS released it and when its standard and extended support end."""

    version: str
    released: date
    end_of_standard: date
    end_of_extended: date
    patch: str

    def support_status(self, today: date) -> tuple[str, str]:
        """`(status, versionStatus)` as `DescribeClusterVersions` spells them on `today`."""
        if today < self.end_of_standard:
            return "standard-support", "STANDARD_SUPPORT"
        if today < self.end_of_extended:
            return "extended-support", "EXTENDED_SUPPORT"
        return "unsupported", "UNSUPPORTED"


KUBERNETES_RELEASES: tuple[KubernetesRelease, ...] = (
    KubernetesRelease("1.28", date(2023, 9, 26), date(2024, 11, 26), date(2025, 11, 26), "1.28.15"),
    KubernetesRelease("1.29", date(2024, 1, 23), date(2025, 3, 23), date(2026, 3, 23), "1.29.15"),
    KubernetesRelease("1.30", date(2024, 5, 23), date(2025, 7, 23), date(2026, 7, 23), "1.30.14"),
    KubernetesRelease("1.31", date(2024, 9, 26), date(2025, 11, 26), date(2026, 11, 26), "1.31.13"),
    KubernetesRelease("1.32", date(2025, 1, 23), date(2026, 3, 23), date(2027, 3, 23), "1.32.9"),
    KubernetesRelease("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29), "1.33.5"),
    KubernetesRelease("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2), "1.34.1"),
    KubernetesRelease("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27), "1.35.0"),
)


def release(version: str) -> KubernetesRelease | None:
    return next((r for r in KUBERNETES_RELEASES if r.version == version), None)


def next_minor(version: str) -> str | None:
    """The only version `UpdateClusterVersion` accepts from `version` (EKS upgrades one minor at a time)."""
    versions = [r.version for r in KUBERNETES_RELEASES]
    if version not in versions:
        return None
    index = versions.index(version)
    return versions[index + 1] if index + 1 < len(versions) else None


def node_release_version(kubernetes: str, ami_type: str) -> str:
    """A plausible AMI release for a node group (`releaseVersion`), per AMI family."""
    if ami_type.startswith("BOTTLEROCKET"):
        return "1.50.0-7d1f5a2b"
    known = release(kubernetes)
    patch = known.patch if known else f"{kubernetes}.0"
    return f"{patch}-20251120"


@dataclass(frozen=True)
class AddonVersion:
    """One add-on build, the Kubernetes versions it runs on and those it is the default for."""

    version: str
    kubernetes: tuple[str, ...]
    default_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddonInfo:
    name: str
    type: str
    versions: tuple[AddonVersion, ...]
    requires_iam: bool = False
    service_account: str | None = None
    recommended_policies: tuple[str, ...] = ()
    schema_properties: dict[str, str] = field(default_factory=dict)
    runs_on_nodes: bool = False
    """A Deployment (coredns, the EBS CSI controller): without a node to run on it has no
    ready replica, so EKS reports it DEGRADED. DaemonSet add-ons are healthy with no node."""


_ALL = tuple(r.version for r in KUBERNETES_RELEASES)


def _per_minor(builds: tuple[str, ...]) -> tuple[AddonVersion, ...]:
    """kube-proxy style: builds named after each Kubernetes minor, newest the default."""
    versions: list[AddonVersion] = []
    for minor in reversed(_ALL):
        known = release(minor)
        patch = known.patch if known else f"{minor}.0"
        for index, build in enumerate(builds):
            versions.append(
                AddonVersion(f"v{patch}-{build}", (minor,), (minor,) if index == 0 else ())
            )
    return tuple(versions)


ADDONS: tuple[AddonInfo, ...] = (
    AddonInfo(
        "vpc-cni",
        "networking",
        (
            AddonVersion("v1.21.1-eksbuild.1", _ALL[2:]),
            AddonVersion("v1.20.4-eksbuild.2", _ALL, _ALL),
            AddonVersion("v1.19.6-eksbuild.7", _ALL[:-1]),
        ),
        requires_iam=True,
        service_account="aws-node",
        recommended_policies=("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",),
        schema_properties={
            "affinity": "object",
            "enableNetworkPolicy": "string",
            "enableWindowsIpam": "string",
            "enableWindowsPrefixDelegation": "string",
            "env": "object",
            "eniConfig": "object",
            "init": "object",
            "livenessProbeTimeoutSeconds": "integer",
            "nodeAgent": "object",
            "podAnnotations": "object",
            "podLabels": "object",
            "readinessProbeTimeoutSeconds": "integer",
            "resources": "object",
            "tolerations": "array",
        },
    ),
    AddonInfo(
        "kube-proxy",
        "networking",
        _per_minor(("eksbuild.3", "eksbuild.1")),
        schema_properties={
            "ipvs": "object",
            "mode": "string",
            "podAnnotations": "object",
            "podLabels": "object",
            "resources": "object",
        },
    ),
    AddonInfo(
        "coredns",
        "networking",
        (
            AddonVersion("v1.12.4-eksbuild.1", _ALL[5:], _ALL[5:]),
            AddonVersion("v1.11.4-eksbuild.24", _ALL[1:], _ALL[1:5]),
            AddonVersion("v1.10.1-eksbuild.38", _ALL[:2], _ALL[:1]),
        ),
        schema_properties={
            "affinity": "object",
            "autoScaling": "object",
            "computeType": "string",
            "corefile": "string",
            "nodeSelector": "object",
            "podAnnotations": "object",
            "podDisruptionBudget": "object",
            "podLabels": "object",
            "replicaCount": "integer",
            "resources": "object",
            "tolerations": "array",
            "topologySpreadConstraints": "array",
        },
        runs_on_nodes=True,
    ),
    AddonInfo(
        "eks-pod-identity-agent",
        "security",
        (
            AddonVersion("v1.3.10-eksbuild.1", _ALL[3:]),
            AddonVersion("v1.3.9-eksbuild.3", _ALL, _ALL),
        ),
        schema_properties={
            "affinity": "object",
            "agent": "object",
            "podAnnotations": "object",
            "podLabels": "object",
            "resources": "object",
            "tolerations": "array",
        },
    ),
    AddonInfo(
        "aws-ebs-csi-driver",
        "storage",
        (
            AddonVersion("v1.53.0-eksbuild.1", _ALL[2:]),
            AddonVersion("v1.52.1-eksbuild.1", _ALL, _ALL),
            AddonVersion("v1.51.1-eksbuild.1", _ALL),
        ),
        requires_iam=True,
        service_account="ebs-csi-controller-sa",
        recommended_policies=("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",),
        schema_properties={
            "controller": "object",
            "defaultStorageClass": "object",
            "node": "object",
            "sidecars": "object",
            "storageClasses": "array",
            "volumeSnapshotClasses": "array",
        },
        runs_on_nodes=True,
    ),
)


def addon(name: str) -> AddonInfo | None:
    return next((a for a in ADDONS if a.name == name), None)


def default_addon_version(info: AddonInfo, kubernetes: str) -> str | None:
    return next((v.version for v in info.versions if kubernetes in v.default_for), None)


def addon_version(info: AddonInfo, version: str) -> AddonVersion | None:
    return next((v for v in info.versions if v.version == version), None)


ACCESS_POLICY_NAMES: tuple[str, ...] = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStorageClusterPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSComputeClusterPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSHybridPolicy",
    "AmazonEKSLoadBalancingClusterPolicy",
    "AmazonEKSNetworkingClusterPolicy",
    "AmazonEKSSecretReaderPolicy",
    "AmazonEKSViewPolicy",
)


def access_policy_arn(name: str) -> str:
    return AWS_PARTITION_POLICY_PREFIX + name


def is_access_policy(arn: str) -> bool:
    return arn.startswith(AWS_PARTITION_POLICY_PREFIX) and (
        arn[len(AWS_PARTITION_POLICY_PREFIX) :] in ACCESS_POLICY_NAMES
    )
