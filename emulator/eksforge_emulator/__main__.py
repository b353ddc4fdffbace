"""`python3 -m eksforge_emulator [--host H] [--port N]`: the project's local AWS, in the foreground.

Prints its endpoint (`http://127.0.0.1:N`) as the first line on stdout once it listens;
`--port 0` (the default) lets the system pick a free port.
"""

from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="eksforge_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    args = parser.parse_args(argv)
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
