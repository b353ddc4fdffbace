"""The WSGI application and its server: moto's dispatcher, wrapped in the request contract."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from werkzeug.serving import make_server


def application() -> Any:
    """moto's domain dispatcher with the extension loaded, behind the contract and admin routes."""
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from . import install
    from .contract.middleware import ContractMiddleware

    install()
    return ContractMiddleware(DomainDispatcherApplication(create_backend_app))


def serve(host: str, port: int) -> None:
    """Binds first, then prints the endpoint (one line, so callers can read it), then serves."""
    server = make_server(host, port, application(), threaded=True)
    print(f"http://{host}:{server.server_port}", flush=True)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        sys.stdout.flush()
