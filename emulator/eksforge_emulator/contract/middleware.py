"""The contract as WSGI middleware in front of moto's dispatcher, plus the emulator's admin routes.

Admin routes (not AWS; under `/eksforge-emulator/`):
- `GET /eksforge-emulator/violations[?unexpected=1]`: the recorded violations as JSON.
- `DELETE /eksforge-emulator/violations`: forget them (and the counts below).
- `GET /eksforge-emulator/checked`: requests checked per `service:Operation`, and those that
  could not be placed (unsigned, virtual-hosted S3, unknown operation), by method and path head.
- `POST /eksforge-emulator/config`: change the settings it names from the next request on
  (`null` returns one to the environment's): `transitionSeconds` (a number, or seconds per kind
  `{"addon": 2, "cluster": 0, "nodegroup": 0, "default": 0}`), `requireCni` (bool),
  `addonHealth` (planted add-on health; see config.py). Answers with every setting in effect.
- `GET /eksforge-emulator/config`: the settings in effect; `DELETE`: all back to the environment's.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Iterable

from .. import config
from . import answers, extract, rules, services
from .request import from_environ, read_body
from .violations import LEDGER

ADMIN_PREFIX = "/eksforge-emulator/"
LOG = logging.getLogger("eksforge_emulator.contract")

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, status: str, payload: Any) -> Iterable[bytes]:
    body = json.dumps(payload, indent=1).encode("utf-8")
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _is_path_style(request_host: str) -> bool:
    """S3 requests the contract can place: path-style ones (the bucket is not in the host)."""
    host = request_host.split(":")[0]
    return host in ("localhost", "") or host.replace(".", "").isdigit() or host.startswith("s3.")


class ContractMiddleware:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(ADMIN_PREFIX):
            return self._admin(environ, start_response, path[len(ADMIN_PREFIX) :])
        mode = config.contract_mode()
        if mode == "off" or path.startswith("/moto-api"):
            return self.app(environ, start_response)
        refusal = self._check(environ, enforce=mode == "on")
        if refusal is not None:
            status, headers, body = refusal
            start_response(f"{status} Bad Request", headers + [("Content-Length", str(len(body)))])
            return [body]
        return self.app(environ, start_response)

    def _check(self, environ: dict[str, Any], enforce: bool) -> tuple[int, list[tuple[str, str]], bytes] | None:
        body = read_body(environ)
        request = from_environ(environ, body)
        try:
            identified = services.identify(request)
            if identified is not None and identified.service.service_name == "s3":
                identified = identified if _is_path_style(request.header("host") or "") else None
            params = None if identified is None else extract.parameters(identified, request)
            if identified is None or params is None:
                LEDGER.count(None, f"{request.method} {request.raw_path.split('/')[1][:40]}")
                return None
            service = identified.service.service_name
            LEDGER.count(f"{service}:{identified.operation.name}", "")
            if identified.operation.input_shape is None:
                return None
            problems = rules.check(identified.operation.input_shape, params)
        except Exception:  # the contract must never break a request it fails to understand
            LOG.exception("contract check failed; request let through")
            return None
        if not problems:
            return None
        expected = (request.header(config.EXPECT_VIOLATION_HEADER) or "").strip() not in ("", "0")
        text = answers.message(problems)
        operation = identified.operation.name
        LEDGER.add(service, operation, [p.parameter for p in problems], text, expected, enforce)
        LOG.warning("contract violation: %s %s: %s", service, operation, text)
        if not enforce:
            return None
        code = answers.error_code(service, identified.protocol, problems)
        return answers.response(service, identified.protocol, code, text)

    def _admin(self, environ: dict[str, Any], start_response: StartResponse, route: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if route == "violations" and method == "GET":
            unexpected = "unexpected=1" in environ.get("QUERY_STRING", "")
            return _json(start_response, "200 OK", LEDGER.listed(unexpected_only=unexpected))
        if route == "violations" and method == "DELETE":
            LEDGER.clear()
            return _json(start_response, "200 OK", [])
        if route == "config" and method == "POST":
            try:
                config.apply(json.loads(read_body(environ) or b"{}"))
            except ValueError as error:  # ConfigError, or a body that is not JSON
                return _json(start_response, "400 Bad Request", {"message": str(error)})
            return _json(start_response, "200 OK", config.current())
        if route == "config" and method == "GET":
            return _json(start_response, "200 OK", config.current())
        if route == "config" and method == "DELETE":
            config.reset()
            return _json(start_response, "200 OK", config.current())
        if route == "checked" and method == "GET":
            return _json(start_response, "200 OK", LEDGER.coverage())
        if route == "health":
            return _json(start_response, "200 OK", {"status": "ok", "contract": config.contract_mode()})
        return _json(start_response, "404 Not Found", {"message": f"no admin route {method} {route}"})
