"""EKS updates: recorded when a cluster, node group or add-on changes, read back by id.

An update is `InProgress` for the transition delay of what it updates (the cluster, a node
group or an add-on), then `Successful`; while a cluster update runs, the cluster reports
`UPDATING` and refuses a second one, as EKS does.
"""

from __future__ import annotations

import json
from typing import Any

from .. import lifecycle
from . import errors
from .store import Update, extras, get_cluster, new_uuid, paginate


def _param_value(value: Any) -> str:
    """Update params carry strings; structured values are written as JSON, as EKS does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def record(cluster: Any, update_type: str, params: dict[str, Any], scope: tuple[str, str] | None = None) -> Update:
    """Starts an update of `cluster` (or of the node group / add-on named by `scope`)."""
    state = extras(cluster)
    busy = next((u for u in state.updates if u.scope == scope and u.in_progress), None)
    if busy is not None:
        what = f"{scope[0]} {scope[1]}" if scope else f"cluster {cluster.name}"
        raise errors.in_use(f"Update {busy.id} is already in progress for {what}.", clusterName=cluster.name)
    update = Update(
        id=new_uuid(),
        type=update_type,
        params=[{"type": key, "value": _param_value(value)} for key, value in params.items()],
        phase=lifecycle.begin("InProgress", "Successful", scope[0] if scope else "cluster"),
        scope=scope,
    )
    state.updates.append(update)
    return update


def cluster_update_running(cluster: Any) -> bool:
    return any(u.scope is None and u.in_progress for u in extras(cluster).updates)


def _scope(nodegroup: str | None, addon: str | None) -> tuple[str, str] | None:
    if nodegroup:
        return ("nodegroup", nodegroup)
    if addon:
        return ("addon", addon)
    return None


def describe(backend: Any, name: str, update_id: str, nodegroup: str | None, addon: str | None) -> Update:
    cluster = get_cluster(backend, name)
    scope = _scope(nodegroup, addon)
    for update in extras(cluster).updates:
        if update.id == update_id and update.scope == scope:
            return update
    raise errors.not_found(f"No update found for ID: {update_id}.", clusterName=name)


def list_ids(
    backend: Any, name: str, nodegroup: str | None, addon: str | None, max_results: int | None, next_token: str | None
) -> tuple[list[str], str | None]:
    cluster = get_cluster(backend, name)
    scope = _scope(nodegroup, addon)
    if nodegroup and nodegroup not in cluster.nodegroups:
        raise errors.not_found(f"No node group found for name: {nodegroup}.", clusterName=name)
    if addon and addon not in extras(cluster).addons:
        raise errors.not_found(f"No addon: {addon} found in cluster: {name}", clusterName=name)
    ids = [u.id for u in extras(cluster).updates if u.scope == scope]
    return paginate(ids, max_results, next_token)
