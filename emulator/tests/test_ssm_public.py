"""The public SSM parameters eksforge reads (src/aws/bottlerocket.rs) exist for every version."""

from __future__ import annotations

import pytest

VERSIONS = [f"1.{minor}" for minor in range(28, 36)]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_bottlerocket_parameters(clean, version, arch):
    ssm = clean.client("ssm")
    base = f"/aws/service/bottlerocket/aws-k8s-{version}/{arch}/latest"
    assert ssm.get_parameter(Name=f"{base}/image_version")["Parameter"]["Value"]
    assert ssm.get_parameter(Name=f"{base}/image_id")["Parameter"]["Value"].startswith("ami-")


def test_parameters_by_name_and_path(clean):
    ssm = clean.client("ssm")
    names = [
        "/aws/service/bottlerocket/aws-k8s-1.34/arm64/latest/image_version",
        "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/x86_64/standard/recommended/image_id",
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2/recommended/release_version",
    ]
    found = ssm.get_parameters(Names=names + ["/aws/service/bottlerocket/aws-k8s-1.19/x86_64/latest/image_id"])
    assert sorted(p["Name"] for p in found["Parameters"]) == sorted(names)
    assert found["InvalidParameters"] == ["/aws/service/bottlerocket/aws-k8s-1.19/x86_64/latest/image_id"]
    by_path = ssm.get_parameters_by_path(Path="/aws/service/bottlerocket/aws-k8s-1.34/x86_64/latest")
    assert sorted(p["Name"].rsplit("/", 1)[1] for p in by_path["Parameters"]) == ["image_id", "image_version"]
    recursive = ssm.get_parameters_by_path(Path="/aws/service/eks/optimized-ami/1.33", Recursive=True, MaxResults=10)
    assert recursive["Parameters"]
