"""The contract's modes, set by environment: `report` lets violations through but records
them, also into `EKSFORGE_EMULATOR_VIOLATIONS`; `off` checks nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import EMULATOR_DIR, Emulator


def started(extra_env: dict[str, str]) -> Iterator[Emulator]:
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_DIR), **extra_env)
    process = subprocess.Popen(
        [sys.executable, "-m", "eksforge_emulator"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        yield Emulator(process.stdout.readline().strip())
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture()
def reporting(tmp_path: Path) -> Iterator[tuple[Emulator, Path]]:
    sink = tmp_path / "violations.jsonl"
    for emulator in started({"EKSFORGE_EMULATOR_CONTRACT": "report", "EKSFORGE_EMULATOR_VIOLATIONS": str(sink)}):
        yield emulator, sink


def test_report_mode_records_and_lets_through(reporting):
    emulator, sink = reporting
    eks = emulator.client("eks", validate=False)
    eks.list_clusters(maxResults=500)  # moto answers it; the record keeps it
    recorded = emulator.violations()
    assert [(v["service"], v["operation"], v["enforced"]) for v in recorded] == [("eks", "ListClusters", False)]
    lines = [json.loads(line) for line in sink.read_text().splitlines()]
    assert lines == recorded


def test_off_checks_nothing():
    for emulator in started({"EKSFORGE_EMULATOR_CONTRACT": "off"}):
        eks = emulator.client("eks", validate=False)
        eks.list_clusters(maxResults=500)
        assert emulator.violations() == []
