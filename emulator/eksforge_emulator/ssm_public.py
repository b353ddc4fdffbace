"""The public SSM parameters EKS users read: Bottlerocket releases and EKS-optimized AMIs.

moto carries only `/aws/service/ami-amazon-linux-latest` and a few trees; it loads them into
each account/region's parameter store the first time a name under them is asked for. This
module hooks the same lazy loading for `/aws/service/bottlerocket/aws-k8s-<version>/...`
and `/aws/service/eks/optimized-ami/<version>/...`, for every version in the EKS catalog, so
`GetParameter`, `GetParameters` and `GetParametersByPath` all see them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from moto.core.utils import utcnow
from moto.ssm.models import Parameter, ParameterDict

from .eks import catalog

ROOTS = ("/aws/service/bottlerocket", "/aws/service/eks/optimized-ami")
ARCHITECTURES = ("x86_64", "arm64")
BOTTLEROCKET_VERSION = "1.50.0-7d1f5a2b"


def _ami(region: str, *parts: str) -> str:
    """A stable, plausible AMI id per region and image."""
    digest = hashlib.sha256("/".join((region, *parts)).encode()).hexdigest()
    return f"ami-{digest[:17]}"


def public_parameters(region: str) -> dict[str, tuple[str, str]]:
    """`name -> (value, data type)` of every public parameter the extension serves."""
    values: dict[str, tuple[str, str]] = {}
    for release in catalog.KUBERNETES_RELEASES:
        version = release.version
        for arch in ARCHITECTURES:
            base = f"/aws/service/bottlerocket/aws-k8s-{version}/{arch}/latest"
            values[f"{base}/image_version"] = (BOTTLEROCKET_VERSION, "text")
            values[f"{base}/image_id"] = (_ami(region, "bottlerocket", version, arch), "aws:ec2:image")
            al2023 = f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/{arch}/standard/recommended"
            node_release = catalog.node_release_version(version, "AL2023")
            values[f"{al2023}/image_id"] = (_ami(region, "al2023", version, arch), "aws:ec2:image")
            values[f"{al2023}/release_version"] = (node_release, "text")
            values[f"{al2023}/image_name"] = (f"amazon-eks-node-al2023-{arch}-standard-{version}-v20251120", "text")
        if tuple(int(p) for p in version.split(".")) <= (1, 32):
            al2 = f"/aws/service/eks/optimized-ami/{version}/amazon-linux-2/recommended"
            values[f"{al2}/image_id"] = (_ami(region, "al2", version), "aws:ec2:image")
            values[f"{al2}/release_version"] = (catalog.node_release_version(version, "AL2_x86_64"), "text")
    return values


def _wants_public(key: str) -> bool:
    return any(key.startswith(root) or (key and root.startswith(key)) for root in ROOTS)


def _load(store: Any) -> None:
    now = utcnow()
    for name, (value, data_type) in public_parameters(store.region_name).items():
        store.setdefault(name, []).append(
            Parameter(
                account_id=store.account_id,
                name=name,
                value=value,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=now,
                version=1,
                data_type=data_type,
            )
        )


def install() -> None:
    """Extends moto's lazy loading of public parameters with the EKS ones."""
    original = ParameterDict._check_loading_status

    def check_loading_status(self: Any, key: str) -> None:
        original(self, key)
        if not getattr(self, "eksforge_public_loaded", False) and _wants_public(str(key or "")):
            self.eksforge_public_loaded = True
            _load(self)

    ParameterDict._check_loading_status = check_loading_status  # type: ignore[method-assign]
