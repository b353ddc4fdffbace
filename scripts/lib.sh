# Shared by scripts/demo and scripts/test.

# moto's server (the local AWS emulator); installed for the current user when missing.
ensure_moto() {
  if command -v moto_server >/dev/null 2>&1 || python3 -c 'import moto.server' >/dev/null 2>&1; then
    return
  fi
  echo "Installing moto[server] (the local AWS emulator)..." >&2
  python3 -m pip install --quiet 'moto[server]>=5.1,<6' >&2
}

moto_cmd() {
  if command -v moto_server >/dev/null 2>&1; then echo moto_server; else echo "python3 -m moto.server"; fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
