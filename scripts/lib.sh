# Shared by scripts/emulator, scripts/demo, scripts/test and scripts/bench.

# moto's server (the base of the local AWS emulator); installed for the current user when missing.
ensure_moto() {
  if python3 -c 'import moto.server' >/dev/null 2>&1; then
    return
  fi
  echo "Installing moto[server] (the local AWS emulator)..." >&2
  python3 -m pip install --quiet 'moto[server]>=5.1,<6' >&2
}

# pytest, for the emulator's own test suite (emulator/tests); installed when missing.
ensure_pytest() {
  if python3 -c 'import pytest' >/dev/null 2>&1; then
    return
  fi
  echo "Installing pytest (the emulator's test runner)..." >&2
  python3 -m pip install --quiet 'pytest>=7,<9' >&2
}

# Starts scripts/emulator in the background, logging to $1; sets EMULATOR_PID and
# EMULATOR_URL (read from the endpoint line it prints once it listens).
start_emulator() {
  local log="$1" fifo
  fifo="$(mktemp -u)"
  mkfifo "$fifo"
  scripts/emulator --port 0 >"$fifo" 2>"$log" &
  EMULATOR_PID=$!
  if ! read -r EMULATOR_URL <"$fifo"; then
    rm -f "$fifo"
    echo "the emulator did not start; see $log" >&2
    return 1
  fi
  rm -f "$fifo"
}
