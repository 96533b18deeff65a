#!/usr/bin/env bash
# The scale table: 1, 100, 1,000 and 10,000 slow streams at once on one client
# against the emulator (pinned: emulator on cpu 0, client on cpu 1), one
# process per row. Prints a markdown table.
#
#   benchmarks/run_scale.sh                  # 1 100 1000 10000
#   COUNTS="1 100" benchmarks/run_scale.sh
#
# Environment: SCALE_TOKEN_DELAY_MS (default 1000: one token per second per
# stream), SCALE_HOLD_S (default 10), BUILD_DIR (default build/bench), PIN=0
# to run unpinned.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/bench}
COUNTS=${COUNTS:-"1 100 1000 10000"}
export SCALE_TOKEN_DELAY_MS=${SCALE_TOKEN_DELAY_MS:-1000} SCALE_HOLD_S=${SCALE_HOLD_S:-10}

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDGRID_BUILD_BENCHMARKS=ON \
  -DDGRID_BUILD_TESTS=OFF -DDGRID_BUILD_EXAMPLES=OFF -DDGRID_BUILD_EMULATOR=ON -DDGRID_HEADER_CHECKS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target scale_bench dgrid-emulator -j "${JOBS:-1}" >/dev/null

server_cpu=(); client_cpu=()
if [[ ${PIN:-1} == 1 ]]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); fi

# 10,000 streams need 10,000 sockets on each side.
ulimit -n "$(ulimit -Hn)"
source "$ROOT/scripts/emulator.sh"
trap stop_emulator EXIT
export DGRID_EMULATOR_KEY=scale-key
start_emulator "${server_cpu[@]}" "$BUILD_DIR/src/emulator/dgrid-emulator" --threads 1 --api-key "$DGRID_EMULATOR_KEY" \
  --ca-file "$(mktemp -u).pem"

echo "| streams | opened | open s | KiB per stream (RSS) | KiB per stream (heap) | deltas/s | client CPU µs per delta | TLS resumed |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $COUNTS; do
  line=$("${client_cpu[@]}" "$BUILD_DIR/benchmarks/scale_bench" "$emulator_url" "$emulator_ca" "$n") || true
  python3 - "$line" <<'PY'
import json, sys
try:
    r = json.loads(sys.argv[1])
except Exception:
    print(f"| ? | failed: {sys.argv[1][:200]} |"); sys.exit()
print(f"| {r['streams']:,} | {r['opened']:,} | {r['open_s']:.1f} | {r['kib_per_stream']:.1f} | {r['heap_kib_per_stream']:.1f} | {r['deltas_per_s']:,.0f} "
      f"| {r['cpu_us_per_delta']:.1f} | {r['tls_resumed']:,}/{r['tls_handshakes']:,} |"
      + (f" failed {r['failed']}: {r['first_error']}" if r['failed'] else ""))
PY
done
