"""Fixes to moto's ECR where it reads a request differently from ECR.

`imageScanningConfiguration.scanOnPush` is a boolean whose model default is `false`, so SDKs
(aws-sdk-rust among them) leave a `false` out of the request: `{"imageScanningConfiguration": {}}`.
ECR reads the missing member as `false`; moto 5.2.1 ignores an empty configuration in
PutImageScanningConfiguration, so scan on push could never be turned off. Here the missing
member reads as `false`, as in ECR.
"""

from __future__ import annotations

from typing import Any

from moto.ecr.models import ECRBackend

_original_put_image_scanning_configuration = ECRBackend.put_image_scanning_configuration


def _put_image_scanning_configuration(
    self: ECRBackend, registry_id: str, repository_name: str, image_scan_config: Any
) -> dict[str, Any]:
    config = dict(image_scan_config or {})
    config["scanOnPush"] = bool(config.get("scanOnPush", False))
    return _original_put_image_scanning_configuration(
        self,
        registry_id=registry_id,
        repository_name=repository_name,
        image_scan_config=config,
    )


def install() -> None:
    """Patches moto's ECR backend in place."""
    ECRBackend.put_image_scanning_configuration = _put_image_scanning_configuration  # type: ignore[method-assign]
