"""Health EKS reports for add-ons, worked out when read (like `lifecycle.py`'s statuses).

An add-on that finished its transition is ACTIVE unless:
- the `addonHealth` setting plants a status and issues for it (`config.planted_health`), or
- it runs as a Deployment (`catalog.AddonInfo.runs_on_nodes`: coredns, the EBS CSI driver) and
  the cluster has no node to run it on: EKS then reports it DEGRADED with
  `InsufficientNumberOfReplicas`, until a node group is ACTIVE.
"""

from __future__ import annotations

from typing import Any

from .. import config
from . import catalog

INSUFFICIENT_REPLICAS = {
    "code": "InsufficientNumberOfReplicas",
    "message": "The add-on is unhealthy because it doesn't have the desired number of replicas.",
    "resourceIds": [],
}

NODE_STATUSES = ("ACTIVE", "UPDATING", "DEGRADED")
"""Node-group statuses with running nodes (a CREATING or CREATE_FAILED group has none ready)."""


def has_nodes(cluster: Any) -> bool:
    """Whether some node group of `cluster` has nodes that pods can run on."""
    for group in cluster.nodegroups.values():
        desired = (group.scaling_config or {}).get("desiredSize", 0)
        if group.status in NODE_STATUSES and desired > 0:
            return True
    return False


def addon_condition(cluster: Any, addon_name: str, settled: str) -> tuple[str, list[dict[str, Any]]]:
    """`(status, health issues)` of an add-on whose transition ended in `settled`."""
    if settled != "ACTIVE":
        return settled, []
    plant = config.planted_health(cluster.name, addon_name)
    if plant is not None:
        return plant.status, [dict(issue, resourceIds=list(issue["resourceIds"])) for issue in plant.issues]
    info = catalog.addon(addon_name)
    if info is not None and info.runs_on_nodes and not has_nodes(cluster):
        return "DEGRADED", [dict(INSUFFICIENT_REPLICAS, resourceIds=[])]
    return "ACTIVE", []
