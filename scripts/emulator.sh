# Sourced by scripts that talk to a dgrid-emulator of their own on 127.0.0.1.
#   start_emulator BIN ARGS...  starts it, sets emulator_url and emulator_ca
#   stop_emulator               stops it (call it from the script's EXIT trap)

start_emulator() {
  local bin=$1
  shift
  emulator_log=$(mktemp)
  "$bin" "$@" >"$emulator_log" &
  emulator_pid=$!
  for _ in $(seq 100); do
    grep -q '^listening' "$emulator_log" && break
    sleep 0.1
  done
  read -r _ emulator_url emulator_ca < <(grep '^listening' "$emulator_log")
  emulator_ca=${emulator_ca#ca=}
}

stop_emulator() {
  kill "$emulator_pid" 2>/dev/null || true
  wait "$emulator_pid" 2>/dev/null || true
  rm -f "$emulator_log"
}
