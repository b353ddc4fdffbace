"""Which service and operation a request is, found the way moto finds it.

The service comes from the SigV4 credential scope (`…/<region>/<signing name>/aws4_request`);
the operation from the `Action` parameter (query protocols), the `X-Amz-Target` header (JSON
protocol) or the method and path matched against the model's request URIs (REST protocols).
A request that cannot be placed is not checked: the contract prefers a miss to a false alarm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import OperationModel, ServiceModel

from .request import Request

# Signing names whose botocore service name differs, or that several services share.
SIGNING_NAMES: dict[str, tuple[str, ...]] = {
    "elasticloadbalancing": ("elbv2", "elb"),
    "monitoring": ("cloudwatch",),
    "email": ("ses", "sesv2"),
    "states": ("stepfunctions",),
    "execute-api": ("apigateway",),
}

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")


@dataclass
class Identified:
    service: ServiceModel
    operation: OperationModel
    protocol: str
    region: str
    uri_params: dict[str, str]


@lru_cache(maxsize=1)
def _session() -> Any:
    return botocore.session.get_session()


@lru_cache(maxsize=None)
def service_model(name: str) -> ServiceModel | None:
    try:
        return _session().get_service_model(name)
    except UnknownServiceError:
        return None


def _candidates(signing_name: str) -> list[ServiceModel]:
    names = SIGNING_NAMES.get(signing_name, (signing_name,))
    return [model for model in (service_model(name) for name in names) if model is not None]


def _protocol(model: ServiceModel, request: Request) -> str:
    """The protocol this request speaks (some services accept more than one)."""
    supported = model.metadata.get("protocols") or [model.protocol]
    content_type = request.content_type
    if model.service_name == "s3":
        return model.protocol
    if content_type.startswith("application/x-amz-json") and "json" in supported:
        return "json"
    if content_type == "application/x-www-form-urlencoded" or request.header("x-amz-target") is None:
        for protocol in ("ec2", "query"):
            if protocol in supported and (content_type == "application/x-www-form-urlencoded" or request.query):
                return protocol
    return model.protocol


def _query_operation(model: ServiceModel, request: Request) -> OperationModel | None:
    params = dict(request.form())
    action, version = params.get("Action"), params.get("Version")
    if not action or (version and version != model.api_version):
        return None
    try:
        return model.operation_model(action)
    except Exception:
        return None


def _json_operation(model: ServiceModel, request: Request) -> OperationModel | None:
    target = request.header("x-amz-target") or ""
    prefix, _, name = target.rpartition(".")
    if not name or prefix != model.metadata.get("targetPrefix"):
        return None
    try:
        return model.operation_model(name)
    except Exception:
        return None


@lru_cache(maxsize=None)
def _uri_patterns(service: str) -> list[tuple[str, re.Pattern[str], tuple[tuple[str, str | None], ...], int, str]]:
    """Per operation: method, path regex, literal query keys (with values) and a specificity score."""
    model = service_model(service)
    patterns = []
    if model is None:
        return patterns
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri: str = http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        literal_query: list[tuple[str, str | None]] = []
        for part in filter(None, query.split("&")):
            key, sep, value = part.partition("=")
            literal_query.append((key, value if sep else None))
        regex_parts = []
        literal_chars = 0
        for segment in re.split(r"(\{[^}]+\})", path):
            if segment.startswith("{") and segment.endswith("}"):
                label = segment[1:-1]
                greedy = label.endswith("+")
                label = label.rstrip("+")
                group = re.sub(r"\W", "_", label)
                regex_parts.append(f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)")
            else:
                literal_chars += len(segment)
                regex_parts.append(re.escape(segment))
        pattern = re.compile("^" + "".join(regex_parts).rstrip("/") + "/?$")
        score = literal_chars + 100 * len(literal_query)
        patterns.append((http.get("method", "POST"), pattern, tuple(literal_query), score, name))
    return patterns


def _rest_operation(model: ServiceModel, request: Request) -> tuple[OperationModel, dict[str, str]] | None:
    present = {key: value for key, value in request.query}
    best: list[tuple[int, str, dict[str, str]]] = []
    for method, pattern, literal_query, score, name in _uri_patterns(model.service_name):
        if method != request.method:
            continue
        match = pattern.match(request.raw_path)
        if not match:
            continue
        if any(key not in present or (value is not None and present[key] != value) for key, value in literal_query):
            continue
        best.append((score, name, {k: unquote(v) for k, v in match.groupdict().items()}))
    if not best:
        return None
    best.sort(key=lambda item: item[0], reverse=True)
    top = [item for item in best if item[0] == best[0][0]]
    if len(top) > 1:
        # Same method and URI (S3 PutObject, CopyObject, UploadPart): the one whose required
        # headers and query parameters were all sent.
        top = [item for item in top if _required_locations_sent(model.operation_model(item[1]), request)]
        if len(top) != 1:
            return None
    _, name, params = top[0]
    operation = model.operation_model(name)
    labels = {
        member: params.get(re.sub(r"\W", "_", shape.serialization.get("name", member)))
        for member, shape in (operation.input_shape.members.items() if operation.input_shape else [])
        if shape.serialization.get("location") == "uri"
    }
    return operation, {k: v for k, v in labels.items() if v is not None}


def _required_locations_sent(operation: OperationModel, request: Request) -> bool:
    shape = operation.input_shape
    if shape is None:
        return True
    sent_query = {key for key, _ in request.query}
    for member in shape.required_members:
        member_shape = shape.members[member]
        location = member_shape.serialization.get("location")
        name = member_shape.serialization.get("name", member)
        if location == "header" and request.header(name) is None:
            return False
        if location == "querystring" and name not in sent_query:
            return False
    return True


def identify(request: Request) -> Identified | None:
    """The service and operation of a signed request, or `None` when they cannot be told."""
    scope = CREDENTIAL_SCOPE.search(request.header("authorization") or "")
    if scope is None:
        return None
    region, signing_name = scope.group(1), scope.group(2)
    for model in _candidates(signing_name):
        protocol = _protocol(model, request)
        uri_params: dict[str, str] = {}
        operation: OperationModel | None
        if protocol in ("query", "ec2"):
            operation = _query_operation(model, request)
        elif protocol == "json":
            operation = _json_operation(model, request)
        else:
            found = _rest_operation(model, request)
            operation, uri_params = found if found else (None, {})
        if operation is not None:
            return Identified(model, operation, protocol, region, uri_params)
    return None
