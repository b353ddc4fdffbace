"""One emulator per test session (the same entry scripts/emulator runs), reset before each test."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

EMULATOR_DIR = Path(__file__).resolve().parents[1]
REGION = "eu-west-1"
ACCOUNT = "123456789012"


class Emulator:
    """A running emulator: its endpoint, clients for it, and its admin routes."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint

    def client(self, service: str, validate: bool = True) -> Any:
        """A boto3 client; `validate=False` lets invalid requests reach the emulator's contract."""
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(
                parameter_validation=validate,
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
            ),
        )

    def admin(self, method: str, route: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.endpoint}/eksforge-emulator/{route}", data=data, method=method)
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def violations(self) -> list[dict[str, Any]]:
        return self.admin("GET", "violations")

    def set_transition(self, seconds: float | dict[str, float] | None) -> None:
        self.configure(transitionSeconds=seconds)

    def configure(self, **settings: Any) -> dict[str, Any]:
        """`POST /eksforge-emulator/config` with these settings; answers the settings in effect."""
        return self.admin("POST", "config", settings)

    def reset(self) -> None:
        """Forgets violations and every setting; AWS state stays (tests use names of their own)."""
        self.admin("DELETE", "violations")
        self.admin("DELETE", "config")


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR), MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    env.pop("EKSFORGE_EMULATOR_CONTRACT", None)
    env.pop("EKSFORGE_EMULATOR_TRANSITION_SECONDS", None)
    env.pop("EKSFORGE_EMULATOR_REQUIRE_CNI", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "eksforge_emulator", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()
        assert endpoint.startswith("http://127.0.0.1:"), f"no endpoint line, got {endpoint!r}"
        yield Emulator(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def aws(emulator: Emulator) -> Emulator:
    """The emulator, freshly reset, with no violation recorded."""
    emulator.reset()
    return emulator


@pytest.fixture()
def clean(aws: Emulator) -> Iterator[Emulator]:
    """Like `aws`, and fails the test if any request it made broke the contract."""
    yield aws
    assert aws.violations() == [], "the test's own requests broke the contract"


@pytest.fixture()
def eks(clean: Emulator) -> Any:
    return clean.client("eks")


ClusterFactory = Callable[..., dict[str, Any]]
_names = itertools.count(1)


@pytest.fixture()
def make_cluster(clean: Emulator) -> ClusterFactory:
    """Creates a cluster on a fresh VPC subnet; keyword arguments go to CreateCluster."""
    ec2 = clean.client("ec2")
    eks = clean.client("eks")

    def make(name: str | None = None, **extra: Any) -> dict[str, Any]:
        name = name or f"cluster-{next(_names)}"
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        arguments: dict[str, Any] = {
            "name": name,
            "roleArn": f"arn:aws:iam::{ACCOUNT}:role/cluster",
            "resourcesVpcConfig": {"subnetIds": [subnet]},
        }
        arguments.update(extra)
        cluster = eks.create_cluster(**arguments)["cluster"]
        cluster["subnet"] = subnet
        return cluster

    return make


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def standard_version(eks: Any) -> str:
    """The newest Kubernetes version in standard support today (by the emulator's calendar),
    for tests whose outcome depends on the support period."""
    versions = eks.describe_cluster_versions(versionStatus="STANDARD_SUPPORT")["clusterVersions"]
    return max((v["clusterVersion"] for v in versions), key=lambda v: [int(p) for p in v.split(".")])
