"""ECR as eksforge uses it (src/aws/ecr_repository.rs): the fixes of eksforge_emulator/ecr.py."""

from __future__ import annotations


def test_scan_on_push_left_out_reads_as_false(clean):
    """SDKs leave out a `false` scanOnPush (the model's default); ECR reads it as false."""
    ecr = clean.client("ecr")
    ecr.create_repository(repositoryName="scan/off", imageScanningConfiguration={"scanOnPush": True})
    ecr.put_image_scanning_configuration(repositoryName="scan/off", imageScanningConfiguration={})
    found = ecr.describe_repositories(repositoryNames=["scan/off"])["repositories"][0]
    assert found["imageScanningConfiguration"] == {"scanOnPush": False}
    ecr.put_image_scanning_configuration(
        repositoryName="scan/off", imageScanningConfiguration={"scanOnPush": True}
    )
    found = ecr.describe_repositories(repositoryNames=["scan/off"])["repositories"][0]
    assert found["imageScanningConfiguration"] == {"scanOnPush": True}
