"""The extension's EKS response class: moto's `EKSResponse` plus the operations it lacks.

moto picks the operation from the HTTP method and path using botocore's EKS model, then
calls the method named after it (`create_addon` for `CreateAddon`); this subclass only adds
such methods and overrides the ones whose answers moto distorts. Each method reads its
parameters and hands them to the module that owns the resource.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, unquote

from moto.core.responses import ActionResult, EmptyResult
from moto.eks.responses import EKSResponse

from . import access, addons, clusters, errors, nodegroups, offerings, pod_identity, updates
from .store import extras, get_cluster


class ExtendedEKSResponse(EKSResponse):
    """moto's EKS responses with add-ons, pod identity, access entries, updates and insights."""

    # --- request reading -------------------------------------------------------------

    def _body(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            parsed = json.loads(self.body)
        except ValueError:
            raise errors.invalid_parameter("The request body is not valid JSON.") from None
        return parsed if isinstance(parsed, dict) else {}

    def _uri(self, name: str) -> str:
        if self.uri_match is None:
            raise errors.invalid_parameter(f"Missing {name} in the request path.")
        return unquote(self.uri_match.group(name))

    def _queries(self) -> dict[str, list[str]]:
        return parse_qs(self.parsed_url.query, keep_blank_values=True)

    def _query(self, name: str) -> str | None:
        values = self._queries().get(name)
        return values[0] if values else None

    def _query_int(self, name: str) -> int | None:
        value = self._query(name)
        return int(value) if value is not None and value.lstrip("-").isdigit() else None

    def _query_bool(self, name: str) -> bool | None:
        value = self._query(name)
        return None if value is None else value.lower() == "true"

    def _page(self) -> tuple[int | None, str | None]:
        return self._query_int("maxResults"), self._query("nextToken")

    @staticmethod
    def _with_token(result: dict[str, Any], token: str | None) -> ActionResult:
        if token is not None:
            result["nextToken"] = token
        return ActionResult(result)

    def call_action(self) -> Any:
        """Drops what finished deleting before any operation sees the backend."""
        clusters.purge(self.eks_backend)
        return super().call_action()

    # --- clusters --------------------------------------------------------------------

    def create_cluster(self) -> ActionResult:
        body = self._body()
        version = clusters.validate_version(body.get("version"))
        clusters.validate_auto_mode(body)
        result = super().create_cluster()
        cluster = self.eks_backend.clusters[body["name"]]
        cluster.version = version
        caller = f"arn:{self.partition}:iam::{self.current_account}:user/moto"
        clusters.complete_create(self.eks_backend, cluster, body, caller)
        return result

    def update_cluster_config(self) -> ActionResult:
        update = clusters.update_config(self.eks_backend, self._uri("name"), self._body())
        return ActionResult({"update": update})

    def update_cluster_version(self) -> ActionResult:
        body = self._body()
        return ActionResult({"update": clusters.update_version(self.eks_backend, self._uri("name"), body["version"])})

    def delete_cluster(self) -> ActionResult:
        return ActionResult({"cluster": clusters.begin_delete(self.eks_backend, self._uri("name"))})

    def describe_update(self) -> ActionResult:
        update = updates.describe(
            self.eks_backend, self._uri("name"), self._uri("updateId"), self._query("nodegroupName"), self._query("addonName")
        )
        return ActionResult({"update": update.view()})

    def list_updates(self) -> ActionResult:
        ids, token = updates.list_ids(
            self.eks_backend, self._uri("name"), self._query("nodegroupName"), self._query("addonName"), *self._page()
        )
        return self._with_token({"updateIds": ids}, token)

    def describe_cluster_versions(self) -> ActionResult:
        queries = self._queries()
        query = {
            "clusterVersions": queries.get("clusterVersions"),
            "includeAll": self._query_bool("includeAll"),
            "defaultOnly": self._query_bool("defaultOnly"),
            "status": self._query("status"),
            "versionStatus": self._query("versionStatus"),
            "maxResults": self._query_int("maxResults"),
            "nextToken": self._query("nextToken"),
        }
        views, token = offerings.cluster_versions(query)
        return self._with_token({"clusterVersions": views}, token)

    def list_insights(self) -> ActionResult:
        views, token = offerings.list_insights(self.eks_backend, self._uri("name"), self._body())
        return self._with_token({"insights": views}, token)

    def describe_insight(self) -> ActionResult:
        return ActionResult({"insight": offerings.describe_insight(self.eks_backend, self._uri("name"), self._uri("id"))})

    # --- node groups -----------------------------------------------------------------

    def create_nodegroup(self) -> ActionResult:
        body = self._body()
        name = self._uri("name")
        nodegroups.validate_create(self.eks_backend, name, body)
        result = super().create_nodegroup()
        cluster = self.eks_backend.clusters[name]
        nodegroups.complete_create(self.eks_backend, cluster, cluster.nodegroups[body["nodegroupName"]], body)
        return result

    def list_nodegroups(self) -> ActionResult:
        get_cluster(self.eks_backend, self._uri("name"))
        return super().list_nodegroups()

    def update_nodegroup_config(self) -> ActionResult:
        cluster_name, name = self._uri("name"), self._uri("nodegroupName")
        _, group = nodegroups.get_nodegroup(self.eks_backend, cluster_name, name)
        nodegroups.require_active(cluster_name, group)
        result = super().update_nodegroup_config()
        moto_update: dict[str, Any] = result.result["update"]  # type: ignore[index]
        return ActionResult({"update": nodegroups.record_config_update(self.eks_backend, cluster_name, name, moto_update)})

    def update_nodegroup_version(self) -> ActionResult:
        update = nodegroups.update_version(self.eks_backend, self._uri("name"), self._uri("nodegroupName"), self._body())
        return ActionResult({"update": update})

    def delete_nodegroup(self) -> ActionResult:
        group = nodegroups.begin_delete(self.eks_backend, self._uri("name"), self._uri("nodegroupName"))
        return ActionResult({"nodegroup": group})

    # --- add-ons ---------------------------------------------------------------------

    def create_addon(self) -> ActionResult:
        return ActionResult({"addon": addons.create(self.eks_backend, self._uri("name"), self._body()).view()})

    def describe_addon(self) -> ActionResult:
        return ActionResult({"addon": addons.get(self.eks_backend, self._uri("name"), self._uri("addonName")).view()})

    def update_addon(self) -> ActionResult:
        update = addons.update(self.eks_backend, self._uri("name"), self._uri("addonName"), self._body())
        return ActionResult({"update": update})

    def delete_addon(self) -> ActionResult:
        return ActionResult({"addon": addons.delete(self.eks_backend, self._uri("name"), self._uri("addonName")).view()})

    def list_addons(self) -> ActionResult:
        names, token = addons.list_names(self.eks_backend, self._uri("name"), *self._page())
        return self._with_token({"addons": names}, token)

    def describe_addon_versions(self) -> ActionResult:
        queries = self._queries()
        query = {
            "kubernetesVersion": self._query("kubernetesVersion"),
            "addonName": self._query("addonName"),
            "types": queries.get("types"),
            "publishers": queries.get("publishers"),
            "owners": queries.get("owners"),
            "maxResults": self._query_int("maxResults"),
            "nextToken": self._query("nextToken"),
        }
        views, token = offerings.addon_versions(query)
        return self._with_token({"addons": views}, token)

    def describe_addon_configuration(self) -> ActionResult:
        name, version = self._query("addonName"), self._query("addonVersion")
        if not name or not version:
            raise errors.invalid_parameter("addonName and addonVersion are required.")
        return ActionResult(offerings.addon_configuration(name, version))

    # --- pod identity associations ---------------------------------------------------

    def create_pod_identity_association(self) -> ActionResult:
        association = pod_identity.create(self.eks_backend, self._uri("name"), self._body())
        return ActionResult({"association": association.view()})

    def describe_pod_identity_association(self) -> ActionResult:
        association = pod_identity.get(self.eks_backend, self._uri("name"), self._uri("associationId"))
        return ActionResult({"association": association.view()})

    def update_pod_identity_association(self) -> ActionResult:
        association = pod_identity.update(self.eks_backend, self._uri("name"), self._uri("associationId"), self._body())
        return ActionResult({"association": association.view()})

    def delete_pod_identity_association(self) -> ActionResult:
        association = pod_identity.delete(self.eks_backend, self._uri("name"), self._uri("associationId"))
        return ActionResult({"association": association.view()})

    def list_pod_identity_associations(self) -> ActionResult:
        summaries, token = pod_identity.list_summaries(
            self.eks_backend, self._uri("name"), self._query("namespace"), self._query("serviceAccount"), *self._page()
        )
        return self._with_token({"associations": summaries}, token)

    # --- access entries and policies -------------------------------------------------

    def create_access_entry(self) -> ActionResult:
        return ActionResult({"accessEntry": access.create(self.eks_backend, self._uri("name"), self._body()).view()})

    def describe_access_entry(self) -> ActionResult:
        entry = access.get(self.eks_backend, self._uri("name"), self._uri("principalArn"))
        return ActionResult({"accessEntry": entry.view()})

    def update_access_entry(self) -> ActionResult:
        entry = access.update(self.eks_backend, self._uri("name"), self._uri("principalArn"), self._body())
        return ActionResult({"accessEntry": entry.view()})

    def delete_access_entry(self) -> ActionResult:
        access.delete(self.eks_backend, self._uri("name"), self._uri("principalArn"))
        return EmptyResult()

    def list_access_entries(self) -> ActionResult:
        principals, token = access.list_principals(
            self.eks_backend, self._uri("name"), self._query("associatedPolicyArn"), *self._page()
        )
        return self._with_token({"accessEntries": principals}, token)

    def associate_access_policy(self) -> ActionResult:
        name, principal = self._uri("name"), self._uri("principalArn")
        associated = access.associate(self.eks_backend, name, principal, self._body())
        return ActionResult({"clusterName": name, "principalArn": principal, "associatedAccessPolicy": associated.view()})

    def disassociate_access_policy(self) -> ActionResult:
        access.disassociate(self.eks_backend, self._uri("name"), self._uri("principalArn"), self._uri("policyArn"))
        return EmptyResult()

    def list_associated_access_policies(self) -> ActionResult:
        name, principal = self._uri("name"), self._uri("principalArn")
        views, token = access.list_associated(self.eks_backend, name, principal, *self._page())
        return self._with_token({"clusterName": name, "principalArn": principal, "associatedAccessPolicies": views}, token)

    def list_access_policies(self) -> ActionResult:
        policies, token = access.list_policies(*self._page())
        return self._with_token({"accessPolicies": policies}, token)

    # --- tags on every EKS resource, not only clusters -------------------------------

    def _tagged(self, arn: str) -> dict[str, str]:
        """The tag map of whatever EKS resource `arn` names."""
        for cluster in self.eks_backend.clusters.values():
            if cluster.arn == arn:
                return cluster.tags
            for group in cluster.nodegroups.values():
                if group.arn == arn:
                    return group.tags
            state = extras(cluster)
            for table in (state.addons, state.associations, state.access_entries):
                for item in table.values():
                    if item.arn == arn:
                        return item.tags
        raise errors.not_found(f"Resource not found: {arn}")

    def tag_resource(self) -> ActionResult:
        self._tagged(self._extract_arn_from_path()).update(self._body().get("tags") or {})
        return EmptyResult()

    def untag_resource(self) -> ActionResult:
        tags = self._tagged(self._extract_arn_from_path())
        for key in self._queries().get("tagKeys", []):
            tags.pop(key, None)
        return EmptyResult()

    def list_tags_for_resource(self) -> ActionResult:
        return ActionResult({"tags": dict(self._tagged(self._extract_arn_from_path()))})
