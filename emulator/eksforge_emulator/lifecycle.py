"""Statuses that hold for a while and then settle (CREATING → ACTIVE, DELETING → gone).

The emulator has no background thread: a status is worked out when it is read, from the
time the transition began and the configured delay (`config.transition_seconds`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

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


def begin(current: str, settled: str) -> Phase:
    """Starts a transition lasting the configured delay (instant when it is 0)."""
    return Phase(current, settled, time.monotonic() + config.transition_seconds())


def steady(status: str) -> Phase:
    """A status that is already settled."""
    return Phase(status, status, 0.0)
