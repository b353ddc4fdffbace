"""Settings read from the environment, so scripts and tests configure the emulator alike.

Each setting can also be changed for the running process through `POST /eksforge-emulator/config`
(`contract/middleware.py`), so one server can serve instant and slow tests; `null` (or
`DELETE /eksforge-emulator/config` for all of them) returns to the environment's value.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

TRANSITION_SECONDS_VAR = "EKSFORGE_EMULATOR_TRANSITION_SECONDS"
REQUIRE_CNI_VAR = "EKSFORGE_EMULATOR_REQUIRE_CNI"
VIOLATIONS_FILE_VAR = "EKSFORGE_EMULATOR_VIOLATIONS"
CONTRACT_VAR = "EKSFORGE_EMULATOR_CONTRACT"
EXPECT_VIOLATION_HEADER = "x-eksforge-expect-violation"

TRANSITION_KINDS = ("cluster", "nodegroup", "addon")
"""The EKS resources whose statuses transition; an update takes the delay of what it updates.
(Pod identity associations and access entries have no status in the API.)"""
DEFAULT_KIND = "default"

PLANTABLE_STATUSES = ("DEGRADED", "CREATE_FAILED", "UPDATE_FAILED")
PLANTED_MESSAGE = "Planted by the emulator's addonHealth setting."


class ConfigError(ValueError):
    """A setting the emulator cannot use; the admin route answers 400 with its text."""


# --- transition delays ------------------------------------------------------------------


def parse_transitions(value: Any) -> dict[str, float]:
    """`2.5` (every kind) or `{"addon": 2, "default": 0}` (per kind) as `{kind: seconds}`.

    A kind left out falls back to `default`, then to the environment's setting for it.
    """
    if isinstance(value, bool):
        raise ConfigError("transitionSeconds must be a number or an object of numbers per kind")
    if isinstance(value, (int, float)):
        return {DEFAULT_KIND: max(0.0, float(value))}
    if not isinstance(value, dict):
        raise ConfigError("transitionSeconds must be a number or an object of numbers per kind")
    table: dict[str, float] = {}
    for kind, seconds in value.items():
        if kind not in TRANSITION_KINDS + (DEFAULT_KIND,):
            known = ", ".join(TRANSITION_KINDS + (DEFAULT_KIND,))
            raise ConfigError(f"transitionSeconds has no kind {kind!r}; the kinds are {known}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ConfigError(f"transitionSeconds.{kind} must be a number")
        table[kind] = max(0.0, float(seconds))
    return table


def _environment_transitions() -> dict[str, float]:
    """The environment's delays: a number, or the same JSON object the admin route takes.
    An unreadable value counts as unset, so a typo never stops the emulator."""
    raw = os.environ.get(TRANSITION_SECONDS_VAR, "").strip()
    if not raw:
        return {}
    try:
        return parse_transitions(json.loads(raw))
    except ValueError:
        return {}


_transition_override: dict[str, float] | None = None


def set_transition_seconds(value: Any) -> None:
    """Overrides the environment's delays for this process; `None` returns to them."""
    global _transition_override
    _transition_override = None if value is None else parse_transitions(value)


def transition_seconds(kind: str | None = None) -> float:
    """How long CREATING, UPDATING and DELETING of `kind` (and its updates' InProgress) last;
    0 (the default) makes them instant. Read on every use so a change takes effect from the
    next request on."""
    layers = [_transition_override or {}, _environment_transitions()]
    for layer in layers:
        for key in (kind, DEFAULT_KIND):
            if key is not None and key in layer:
                return layer[key]
    return 0.0


def transitions() -> dict[str, float]:
    """The delay in effect for every kind (what the admin route reports)."""
    table = {kind: transition_seconds(kind) for kind in TRANSITION_KINDS}
    table[DEFAULT_KIND] = transition_seconds(None)
    return table


# --- node groups need a working VPC CNI ---------------------------------------------------


_require_cni_override: bool | None = None


def set_require_cni(value: Any) -> None:
    global _require_cni_override
    if value is not None and not isinstance(value, bool):
        raise ConfigError("requireCni must be true, false or null")
    _require_cni_override = value


def require_cni() -> bool:
    """Whether a node group fails to join a cluster whose VPC CNI cannot get AWS credentials
    (off by default: most tests create node groups without any add-on)."""
    if _require_cni_override is not None:
        return _require_cni_override
    return os.environ.get(REQUIRE_CNI_VAR, "").strip().lower() in ("1", "true", "yes", "on")


# --- planted add-on health ------------------------------------------------------------------


@dataclass(frozen=True)
class AddonHealthPlant:
    """Makes the add-on `addon_name` (on `cluster_name`, or on every cluster) settle in
    `status` with `issues` (the API's `AddonIssue` structures) instead of ACTIVE."""

    addon_name: str
    cluster_name: str | None
    status: str
    issues: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def matches(self, cluster_name: str, addon_name: str) -> bool:
        return self.addon_name == addon_name and self.cluster_name in (None, cluster_name)

    def view(self) -> dict[str, Any]:
        return {
            "addonName": self.addon_name,
            "clusterName": self.cluster_name,
            "status": self.status,
            "issues": [dict(issue) for issue in self.issues],
        }


def _addon_issue_codes() -> tuple[str, ...]:
    """The `AddonIssueCode` enum of the EKS model, so a plant can only say what EKS can."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("eks")
    return tuple(model.shape_for("AddonIssueCode").enum)


def _parse_issue(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict) or not isinstance(raw.get("code"), str):
        raise ConfigError(f"{where} must be an object with a code")
    codes = _addon_issue_codes()
    if raw["code"] not in codes:
        raise ConfigError(f"{where}.code {raw['code']!r} is not an AddonIssueCode: {', '.join(codes)}")
    message = raw.get("message", PLANTED_MESSAGE)
    resource_ids = raw.get("resourceIds", [])
    if not isinstance(message, str):
        raise ConfigError(f"{where}.message must be a string")
    if not isinstance(resource_ids, list) or not all(isinstance(item, str) for item in resource_ids):
        raise ConfigError(f"{where}.resourceIds must be a list of strings")
    return {"code": raw["code"], "message": message, "resourceIds": list(resource_ids)}


def parse_addon_health(value: Any) -> tuple[AddonHealthPlant, ...]:
    """`[{"addonName", "clusterName"?, "status"?, "issues"?}]` as plants (status defaults to
    DEGRADED, issues to one InternalFailure)."""
    if not isinstance(value, list):
        raise ConfigError("addonHealth must be a list of {addonName, clusterName?, status?, issues?}")
    plants = []
    for index, raw in enumerate(value):
        where = f"addonHealth[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("addonName"), str):
            raise ConfigError(f"{where} must be an object with an addonName")
        cluster = raw.get("clusterName")
        if cluster is not None and not isinstance(cluster, str):
            raise ConfigError(f"{where}.clusterName must be a string")
        status = raw.get("status", "DEGRADED")
        if status not in PLANTABLE_STATUSES:
            raise ConfigError(f"{where}.status must be one of {', '.join(PLANTABLE_STATUSES)}")
        issues = raw.get("issues", [{"code": "InternalFailure"}])
        if not isinstance(issues, list):
            raise ConfigError(f"{where}.issues must be a list")
        parsed = tuple(_parse_issue(issue, f"{where}.issues[{i}]") for i, issue in enumerate(issues))
        plants.append(AddonHealthPlant(raw["addonName"], cluster, status, parsed))
    return tuple(plants)


_addon_health: tuple[AddonHealthPlant, ...] = ()


def set_addon_health(value: Any) -> None:
    """Replaces every plant; `None` or `[]` returns every add-on to its normal health."""
    global _addon_health
    _addon_health = () if value is None else parse_addon_health(value)


def addon_health() -> tuple[AddonHealthPlant, ...]:
    return _addon_health


def planted_health(cluster_name: str, addon_name: str) -> AddonHealthPlant | None:
    """The last plant naming this add-on (a cluster-specific one wins over a general one)."""
    matching = [plant for plant in _addon_health if plant.matches(cluster_name, addon_name)]
    specific = [plant for plant in matching if plant.cluster_name is not None]
    chosen = specific or matching
    return chosen[-1] if chosen else None


# --- planted upgrade insights ----------------------------------------------------------------


@dataclass(frozen=True)
class InsightPlant:
    """An upgrade-readiness insight `ListInsights` reports for `cluster_name` (or every
    cluster) beside the built-in ones, with `status` and, in `DescribeInsight`, `recommendation`."""

    name: str
    cluster_name: str | None
    status: str
    reason: str
    recommendation: str
    kubernetes_version: str | None

    def matches(self, cluster_name: str) -> bool:
        return self.cluster_name in (None, cluster_name)

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "clusterName": self.cluster_name,
            "status": self.status,
            "reason": self.reason,
            "recommendation": self.recommendation,
            "kubernetesVersion": self.kubernetes_version,
        }


def _insight_statuses() -> tuple[str, ...]:
    """The `InsightStatusValue` enum of the EKS model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("eks")
    return tuple(model.shape_for("InsightStatusValue").enum)


def parse_insights(value: Any) -> tuple[InsightPlant, ...]:
    """`[{"name", "clusterName"?, "status"?, "reason"?, "recommendation"?, "kubernetesVersion"?}]`
    as plants (status defaults to ERROR; the version to the cluster's next minor)."""
    if not isinstance(value, list):
        raise ConfigError("insights must be a list of {name, clusterName?, status?, reason?, recommendation?, kubernetesVersion?}")
    plants = []
    statuses = _insight_statuses()
    for index, raw in enumerate(value):
        where = f"insights[{index}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise ConfigError(f"{where} must be an object with a name")
        for key in ("clusterName", "reason", "recommendation", "kubernetesVersion"):
            if raw.get(key) is not None and not isinstance(raw[key], str):
                raise ConfigError(f"{where}.{key} must be a string")
        status = raw.get("status", "ERROR")
        if status not in statuses:
            raise ConfigError(f"{where}.status must be one of {', '.join(statuses)}")
        plants.append(
            InsightPlant(
                name=raw["name"],
                cluster_name=raw.get("clusterName"),
                status=status,
                reason=raw.get("reason") or "Planted by the emulator's insights setting.",
                recommendation=raw.get("recommendation") or "Resolve what the insight names before upgrading.",
                kubernetes_version=raw.get("kubernetesVersion"),
            )
        )
    return tuple(plants)


_insights: tuple[InsightPlant, ...] = ()


def set_insights(value: Any) -> None:
    """Replaces every planted insight; `None` or `[]` removes them."""
    global _insights
    _insights = () if value is None else parse_insights(value)


def planted_insights(cluster_name: str) -> tuple[InsightPlant, ...]:
    return tuple(plant for plant in _insights if plant.matches(cluster_name))


# --- the admin route's view -----------------------------------------------------------------


def apply(payload: Any) -> None:
    """Applies the settings a `POST /eksforge-emulator/config` body names; the others stay.
    All are checked before any is changed, so a refused body changes nothing."""
    if not isinstance(payload, dict):
        raise ConfigError("the config body must be a JSON object")
    unknown = set(payload) - {"transitionSeconds", "requireCni", "addonHealth", "insights"}
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    if payload.get("transitionSeconds") is not None:
        parse_transitions(payload["transitionSeconds"])
    if payload.get("addonHealth") is not None:
        parse_addon_health(payload["addonHealth"])
    if payload.get("insights") is not None:
        parse_insights(payload["insights"])
    if payload.get("requireCni") is not None and not isinstance(payload["requireCni"], bool):
        raise ConfigError("requireCni must be true, false or null")
    if "transitionSeconds" in payload:
        set_transition_seconds(payload["transitionSeconds"])
    if "requireCni" in payload:
        set_require_cni(payload["requireCni"])
    if "addonHealth" in payload:
        set_addon_health(payload["addonHealth"])
    if "insights" in payload:
        set_insights(payload["insights"])


def reset() -> None:
    """Every setting back to the environment's."""
    set_transition_seconds(None)
    set_require_cni(None)
    set_addon_health(None)
    set_insights(None)


def current() -> dict[str, Any]:
    return {
        "transitionSeconds": transitions(),
        "requireCni": require_cni(),
        "addonHealth": [plant.view() for plant in _addon_health],
        "insights": [plant.view() for plant in _insights],
    }


def violations_file() -> str | None:
    """Where each contract violation is appended as one JSON line, if anywhere."""
    return os.environ.get(VIOLATIONS_FILE_VAR) or None


def contract_mode() -> str:
    """`on` (default: refuse and record), `report` (record, let through) or `off`."""
    raw = os.environ.get(CONTRACT_VAR, "on").strip().lower()
    if raw in {"off", "0", "false", "no"}:
        return "off"
    return "report" if raw == "report" else "on"
