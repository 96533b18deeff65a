#!/usr/bin/env bash
# Instructions per plain request and per stream delta, counted by callgrind
# (user space only, immune to the noise of a shared machine). Each figure is
# the difference of two runs with different request counts, so start-up,
# warm-up and TLS handshakes cancel out. The server is the canned nginx of
# ../shared/peers; the client is dgrid_bench (Release) at concurrency 16,
# without strands (`thread_safe` false), as benchmarks/README.md reports.
#
#   benchmarks/callgrind.sh                 # build, count, print
#   DGRID_BENCH=/path/dgrid_bench benchmarks/callgrind.sh
#
# The last two lines of the output are
#   instructions per plain request: N
#   instructions per delta: N
# Environment: PEERS_DIR, BUILD_DIR (build/bench), DGRID_BENCH, JOBS (1),
# PLAIN_COUNTS ("2000 4000"), STREAM_COUNTS ("300 600"), CONCURRENCY (16).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
PEERS_DIR=$(cd "$PEERS_DIR" && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/bench}
JOBS=${JOBS:-1}
read -r PLAIN_LOW PLAIN_HIGH <<<"${PLAIN_COUNTS:-2000 4000}"
read -r STREAM_LOW STREAM_HIGH <<<"${STREAM_COUNTS:-300 600}"
CONCURRENCY=${CONCURRENCY:-16}

if [[ -z ${DGRID_BENCH:-} ]]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDGRID_BUILD_BENCHMARKS=ON \
    -DDGRID_BUILD_TESTS=OFF -DDGRID_BUILD_EXAMPLES=OFF -DDGRID_BUILD_EMULATOR=OFF -DDGRID_HEADER_CHECKS=OFF >/dev/null
  cmake --build "$BUILD_DIR" --target dgrid_bench -j "$JOBS" >/dev/null
  DGRID_BENCH=$BUILD_DIR/benchmarks/dgrid_bench
fi
[[ -x $DGRID_BENCH ]] || { echo "no executable $DGRID_BENCH" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }
command -v nginx >/dev/null || "$PEERS_DIR/setup.sh" >/dev/null

started=0
if ! "$PEERS_DIR/server.sh" status >/dev/null 2>&1 || ! (exec 3<>/dev/tcp/127.0.0.1/8443) 2>/dev/null; then
  SERVER_CPU= "$PEERS_DIR/server.sh" start >/dev/null
  started=1
fi
trap '[[ $started == 1 ]] && "$PEERS_DIR/server.sh" stop >/dev/null' EXIT

export BENCH_CA=$PEERS_DIR/certs/ca.crt BODIES_DIR=$PEERS_DIR/run/bodies BENCH_THREAD_SAFE=0
out=$(mktemp -d)

# Total instructions of one dgrid_bench run: MODE COUNT.
count() {
  local mode=$1 total=$2 file=$out/$1.$2
  valgrind --tool=callgrind --callgrind-out-file="$file" \
    "$DGRID_BENCH" "https://127.0.0.1:8443/$mode/v1" "$mode" "$total" "$CONCURRENCY" 120 "$CONCURRENCY" \
    >"$file.log" 2>&1 || { cat "$file.log" >&2; exit 1; }
  grep -Eq '"errors": ?0[,}]' "$file.log" || { echo "errors in $mode $total:" >&2; tail -3 "$file.log" >&2; exit 1; }
  sed -n 's/^summary: //p' "$file"
}

# The chunk events of one stream: its tokens, the finish chunk and the usage chunk.
deltas_per_stream=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stream_events"])' \
  "$PEERS_DIR/run/bodies/meta.json")

plain_low=$(count plain "$PLAIN_LOW")
plain_high=$(count plain "$PLAIN_HIGH")
stream_low=$(count stream "$STREAM_LOW")
stream_high=$(count stream "$STREAM_HIGH")
rm -rf "$out"

echo "dgrid_bench: $DGRID_BENCH ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +dirty))"
echo "plain $PLAIN_LOW / $PLAIN_HIGH: $plain_low / $plain_high instructions"
echo "stream $STREAM_LOW / $STREAM_HIGH ($deltas_per_stream deltas each): $stream_low / $stream_high instructions"
echo "instructions per stream: $(((stream_high - stream_low) / (STREAM_HIGH - STREAM_LOW)))"
echo "instructions per plain request: $(((plain_high - plain_low) / (PLAIN_HIGH - PLAIN_LOW)))"
echo "instructions per delta: $(((stream_high - stream_low) / ((STREAM_HIGH - STREAM_LOW) * deltas_per_stream)))"
