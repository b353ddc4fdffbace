"""One HTTP request as the contract sees it: method, raw path, query, headers, body.

Built from the WSGI environ before moto sees the request; the body is read once and put
back, so moto reads exactly what the client sent.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass
class Request:
    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def form(self) -> list[tuple[str, str]]:
        """The query protocol's parameters: the form body, else the query string."""
        if self.content_type == "application/x-www-form-urlencoded" and self.body:
            text = self.body.decode("utf-8", errors="replace")
            return parse_qsl(text, keep_blank_values=True)
        return self.query


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as sent (still percent-encoded), which is what the models' URIs describe."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return urlsplit(raw).path or "/"
    return quote(environ.get("PATH_INFO", "/"))


def read_body(environ: dict[str, Any]) -> bytes:
    """Reads the whole body and puts an identical stream back for moto."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        try:
            body = stream.read(int(length))
        except ValueError:
            body = b""
    elif environ.get("wsgi.input_terminated") or "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def from_environ(environ: dict[str, Any], body: bytes) -> Request:
    headers = _headers(environ)
    if headers.get("content-encoding", "").lower() == "gzip" and body:
        try:
            body = gzip.decompress(body)
        except OSError:
            pass
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        raw_path=_raw_path(environ),
        query=parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        headers=headers,
        body=body,
    )
