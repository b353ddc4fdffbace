"""The record of contract violations: in memory for the admin route, and optionally a file."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from .. import config


@dataclass(frozen=True)
class Violation:
    """One refused (or, in report mode, let through) request."""

    time: float
    service: str
    operation: str
    parameters: list[str]
    message: str
    expected: bool
    enforced: bool


class Ledger:
    """Thread-safe: moto's server handles requests on several threads.

    Besides the violations it counts the requests checked per operation and those it could not
    place, so a clean run can show it really looked (`GET /eksforge-emulator/checked`).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[Violation] = []
        self._checked: Counter[str] = Counter()
        self._unplaced: Counter[str] = Counter()

    def count(self, operation: str | None, request_line: str) -> None:
        """One checked request (`service:Operation`), or one that could not be placed."""
        with self._lock:
            if operation is None:
                self._unplaced[request_line] += 1
            else:
                self._checked[operation] += 1

    def coverage(self) -> dict[str, Any]:
        with self._lock:
            return {
                "checked": dict(sorted(self._checked.items())),
                "unplaced": dict(sorted(self._unplaced.items())),
            }

    def add(self, service: str, operation: str, parameters: list[str], message: str, expected: bool, enforced: bool) -> Violation:
        violation = Violation(time.time(), service, operation, parameters, message, expected, enforced)
        with self._lock:
            self._items.append(violation)
            path = config.violations_file()
            if path:
                with open(path, "a", encoding="utf-8") as sink:
                    sink.write(json.dumps(asdict(violation)) + "\n")
        return violation

    def listed(self, unexpected_only: bool = False) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(v) for v in self._items if not (unexpected_only and v.expected)]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._checked.clear()
            self._unplaced.clear()


LEDGER = Ledger()
