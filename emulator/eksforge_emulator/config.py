"""Settings read from the environment, so scripts and tests configure the emulator alike."""

from __future__ import annotations

import os

TRANSITION_SECONDS_VAR = "EKSFORGE_EMULATOR_TRANSITION_SECONDS"
VIOLATIONS_FILE_VAR = "EKSFORGE_EMULATOR_VIOLATIONS"
CONTRACT_VAR = "EKSFORGE_EMULATOR_CONTRACT"
EXPECT_VIOLATION_HEADER = "x-eksforge-expect-violation"


# Set through POST /eksforge-emulator/config, so one server can serve instant and slow tests.
_transition_override: float | None = None


def set_transition_seconds(seconds: float | None) -> None:
    """Overrides the environment's delay for this process; `None` returns to it."""
    global _transition_override
    _transition_override = None if seconds is None else max(0.0, seconds)


def transition_seconds() -> float:
    """How long CREATING, UPDATING and DELETING last; 0 (the default) makes them instant.

    Read on every use so a change takes effect from the next request on.
    """
    if _transition_override is not None:
        return _transition_override
    raw = os.environ.get(TRANSITION_SECONDS_VAR, "").strip()
    if not raw:
        return 0.0
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 0.0


def violations_file() -> str | None:
    """Where each contract violation is appended as one JSON line, if anywhere."""
    return os.environ.get(VIOLATIONS_FILE_VAR) or None


def contract_mode() -> str:
    """`on` (default: refuse and record), `report` (record, let through) or `off`."""
    raw = os.environ.get(CONTRACT_VAR, "on").strip().lower()
    if raw in {"off", "0", "false", "no"}:
        return "off"
    return "report" if raw == "report" else "on"
