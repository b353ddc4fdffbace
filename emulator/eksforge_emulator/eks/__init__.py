"""The EKS half of the extension: the operations moto lacks and the answers it distorts.

`install()` points every EKS URL rule at `ExtendedEKSResponse` and adds the rules for the
new paths, before moto builds its Flask app for EKS (it does so on the first EKS request).
"""

from __future__ import annotations

from . import clusters, nodegroups

_CLUSTER = "{0}/clusters/(?P<name>[^/]+)"

# Paths of the operations moto has no rule for. Access-entry paths end in a principal ARN
# whose `/` arrives decoded in the WSGI path, so they take the rest of the path (`.+`);
# moto then names the operation from the still-encoded raw path.
EXTRA_PATHS = (
    _CLUSTER + "/addons$",
    _CLUSTER + "/addons/(?P<addonName>[^/]+)$",
    _CLUSTER + "/addons/(?P<addonName>[^/]+)/update$",
    "{0}/addons/supported-versions$",
    "{0}/addons/configuration-schemas$",
    _CLUSTER + "/pod-identity-associations$",
    _CLUSTER + "/pod-identity-associations/(?P<associationId>[^/]+)$",
    _CLUSTER + "/access-entries$",
    _CLUSTER + "/access-entries/(?P<principalArn>.+)$",
    "{0}/access-policies$",
    "{0}/cluster-versions$",
    _CLUSTER + "/updates$",
    _CLUSTER + "/updates/(?P<updateId>[^/]+)$",
    _CLUSTER + "/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
    _CLUSTER + "/insights$",
    _CLUSTER + "/insights/(?P<id>[^/]+)$",
)


def install() -> None:
    from moto.eks import urls

    from .responses import ExtendedEKSResponse

    handler = ExtendedEKSResponse.dispatch
    for path in list(urls.url_paths):
        urls.url_paths[path] = handler
    for path in EXTRA_PATHS:
        urls.url_paths[path] = handler
    clusters.install_status_property()
    nodegroups.install_status_property()
