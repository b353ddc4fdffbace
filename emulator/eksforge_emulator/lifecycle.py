"""Statuses that hold for a while and then settle (CREATING → ACTIVE, DELETING → gone).

The emulator has no background thread: a status is worked out when it is read, from the
time the transition began and the delay configured for the resource's kind
(`config.transition_seconds`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import config

GONE = "<gone>"
"""The settled status of a deletion: the resource is purged the next time it is looked at."""


@dataclass
class Phase:
    """A transitional status (`current`) that becomes `settled` at `until` (monotonic seconds)."""

    current: str
    settled: str
    until: float

    def status(self) -> str:
        return self.current if time.monotonic() < self.until else self.settled

    @property
    def done(self) -> bool:
        return time.monotonic() >= self.until


def begin(current: str, settled: str, kind: str) -> Phase:
    """Starts a transition lasting the delay configured for `kind` (instant when it is 0)."""
    return Phase(current, settled, time.monotonic() + config.transition_seconds(kind))


def steady(status: str) -> Phase:
    """A status that is already settled."""
    return Phase(status, status, 0.0)


def status_property(busy: Callable[[Any], bool]) -> property:
    """A `status` for moto's model classes: moto's own value unless a transition runs, and
    `UPDATING` while `busy(record)` says an update of it is in progress."""

    def read(record: Any) -> str:
        phase: Phase | None = record.__dict__.get("eksforge_phase")
        status = phase.status() if phase else record.__dict__.get("_plain_status", "ACTIVE")
        return "UPDATING" if status == "ACTIVE" and busy(record) else status

    def write(record: Any, value: str) -> None:
        record.__dict__["_plain_status"] = value

    return property(read, write)


def version_property() -> property:
    """A `version` for moto's `Cluster` and `Nodegroup`: while a version update of the record
    runs, the version it had before (EKS reports the new one once the update has finished);
    otherwise the version set."""

    def read(record: Any) -> str | None:
        update = record.__dict__.get("eksforge_version_update")
        if update is not None and update.in_progress:
            return record.__dict__.get("eksforge_version_before")
        return record.__dict__.get("_plain_version")

    def write(record: Any, value: str | None) -> None:
        record.__dict__["_plain_version"] = value

    return property(read, write)


def begin_version_update(record: Any, update: Any, version: str) -> None:
    """Moves `record` to `version` once `update` has finished."""
    record.__dict__["eksforge_version_before"] = record.version
    record.__dict__["eksforge_version_update"] = update
    record.version = version
