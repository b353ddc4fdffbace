"""A request's parameters as a tree shaped like the operation's input, values left as sent.

Unlike a parser, this keeps scalars as the client wrote them (text for query strings, URIs,
headers and XML; JSON types for JSON bodies), so the rules can tell `"abc"` sent for an
integer from a real integer. A part of the request that cannot be read is left out, never
guessed.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

from botocore.model import Shape, StructureShape

from .request import Request
from .services import Identified

TEXT = "text"
JSON = "json"


class Text(str):
    """A scalar that arrived as text (query, URI, header, XML) and must parse as its type."""


def _query_name(shape: Shape, default: str, ec2: bool) -> str:
    if ec2:
        if "queryName" in shape.serialization:
            return shape.serialization["queryName"]
        name = shape.serialization.get("name")
        return name[0].upper() + name[1:] if name else default
    return shape.serialization.get("name", default)


def _from_query(shape: Shape, flat: dict[str, str], prefix: str, ec2: bool) -> Any:
    """Rebuilds `Filter.1.Name=…`, `Tags.member.1.Key=…`, `Attributes.entry.1.key=…` into a tree."""
    kind = shape.type_name
    if kind == "structure":
        found: dict[str, Any] = {}
        for member, member_shape in shape.members.items():
            name = _query_name(member_shape, member, ec2)
            key = f"{prefix}.{name}" if prefix else name
            value = _from_query(member_shape, flat, key, ec2)
            if value is not None:
                found[member] = value
        if prefix and not found and not any(k.startswith(prefix + ".") for k in flat):
            return None
        return found
    if kind == "list":
        if flat.get(prefix) == "":
            return []
        if ec2 or shape.serialization.get("flattened"):
            item_prefix = prefix
        else:
            item_prefix = f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        items = []
        index = 1
        while True:
            value = _from_query(shape.member, flat, f"{item_prefix}.{index}", ec2)
            if value is None:
                break
            items.append(value)
            index += 1
        return items or None
    if kind == "map":
        entry = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        found_map: dict[str, Any] = {}
        index = 1
        while f"{entry}.{index}.{key_name}" in flat:
            found_map[flat[f"{entry}.{index}.{key_name}"]] = _from_query(
                shape.value, flat, f"{entry}.{index}.{value_name}", ec2
            )
            index += 1
        return found_map or None
    value = flat.get(prefix)
    return None if value is None else Text(value)


def _from_xml(shape: Shape, node: ElementTree.Element) -> Any:
    kind = shape.type_name
    if kind == "structure":
        children: dict[str, list[ElementTree.Element]] = {}
        for child in node:
            children.setdefault(child.tag.split("}")[-1], []).append(child)
        found: dict[str, Any] = {}
        for member, member_shape in shape.members.items():
            if member_shape.serialization.get("location"):
                continue
            if member_shape.type_name == "list" and member_shape.serialization.get("flattened"):
                name = member_shape.member.serialization.get("name", member_shape.serialization.get("name", member))
                nodes = children.get(name, [])
                if nodes:
                    found[member] = [_from_xml(member_shape.member, item) for item in nodes]
                continue
            nodes = children.get(member_shape.serialization.get("name", member), [])
            if nodes:
                found[member] = _from_xml(member_shape, nodes[0])
        return found
    if kind == "list":
        return [_from_xml(shape.member, item) for item in node]
    if kind == "map":
        return None
    return Text(node.text or "")


def _rest_locations(identified: Identified, request: Request, shape: StructureShape) -> dict[str, Any]:
    found: dict[str, Any] = {}
    query: dict[str, list[str]] = {}
    for key, value in request.query:
        query.setdefault(key, []).append(value)
    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        name = member_shape.serialization.get("name", member)
        if location == "uri" and member in identified.uri_params:
            found[member] = Text(identified.uri_params[member])
        elif location == "querystring":
            if member_shape.type_name == "list" and name in query:
                found[member] = [Text(v) for v in query[name]]
            elif member_shape.type_name == "map":
                continue
            elif name in query:
                found[member] = Text(query[name][0])
        elif location == "header":
            value = request.header(name)
            if value is not None:
                if member_shape.type_name == "list":
                    found[member] = [Text(v.strip()) for v in value.split(",")]
                else:
                    found[member] = Text(value)
    return found


def _json_body(request: Request) -> dict[str, Any] | None:
    if not request.body:
        return {}
    try:
        parsed = json.loads(request.body)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def parameters(identified: Identified, request: Request) -> dict[str, Any] | None:
    """The input tree, or `None` when the body cannot be read as the protocol says."""
    shape = identified.operation.input_shape
    if shape is None:
        return {}
    protocol = identified.protocol
    if protocol in ("query", "ec2"):
        flat = dict(request.form())
        return _from_query(shape, flat, "", protocol == "ec2")
    if protocol == "json":
        return _json_body(request)
    found = _rest_locations(identified, request, shape)
    payload = shape.serialization.get("payload")
    if payload:
        payload_shape = shape.members[payload]
        if payload_shape.type_name == "structure" and request.body:
            if protocol == "rest-xml":
                try:
                    found[payload] = _from_xml(payload_shape, ElementTree.fromstring(request.body))
                except ElementTree.ParseError:
                    return None
            else:
                body = _json_body(request)
                if body is None:
                    return None
                found[payload] = body
        elif payload_shape.type_name in ("blob", "string") and request.body:
            found[payload] = request.body
        return found
    if protocol == "rest-json":
        body = _json_body(request)
        if body is None:
            return None
        for member, member_shape in shape.members.items():
            if member_shape.serialization.get("location"):
                continue
            json_name = member_shape.serialization.get("name", member)
            if json_name in body:
                found[member] = body[json_name]
    elif protocol == "rest-xml" and request.body:
        try:
            root = ElementTree.fromstring(request.body)
        except ElementTree.ParseError:
            return None
        found.update(_from_xml(shape, root))
    return found
