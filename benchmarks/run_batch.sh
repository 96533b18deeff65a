#!/usr/bin/env bash
# Benchmarks of `dgrid batch`, every figure from one run, printed as Markdown:
#  1. CPU per request of a LINES-line batch at a fixed concurrency against the
#     peers harness's nginx (../shared/peers), beside dgrid_bench's plain calls
#     (same server, count and concurrency) and beside batch_node.mjs (the
#     official Node SDK with p-limit-style concurrency) on the same file;
#  2. the peak RSS of a 1,000-line and a LINES-line batch;
#  3. `--concurrency auto` against dgrid-emulator --rpm RPM: the share of the
#     limit's rate the run sustains once its first full bucket is spent, and
#     the share of requests answered 429.
#
#   benchmarks/run_batch.sh            # LINES=100000 CONC=16 RPM=6000 (about 6 minutes)
#
# Environment: LINES, CONC, RPM as above; BUILD_DIR (default build/bench);
# PEERS_DIR (default ../shared/peers); JOBS (build parallelism, default 1);
# PIN=0 runs the clients on any core (default: core 1, nginx being on core 0).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS_DIR=$(cd "${PEERS_DIR:-$ROOT/../shared/peers}" && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build/bench}
LINES=${LINES:-100000}
CONC=${CONC:-16}
RPM=${RPM:-6000}
JOBS=${JOBS:-1}

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDGRID_BUILD_BENCHMARKS=ON -DDGRID_BUILD_CLI=ON \
  -DDGRID_BUILD_EMULATOR=ON -DDGRID_BUILD_TESTS=OFF -DDGRID_BUILD_EXAMPLES=OFF -DDGRID_HEADER_CHECKS=OFF >/dev/null
cmake --build "$BUILD_DIR" --target dgrid_bench dgrid_cli dgrid-emulator -j "$JOBS" >/dev/null
bench=$BUILD_DIR/benchmarks/dgrid_bench
dgrid=$BUILD_DIR/src/cli/dgrid
emulator=$BUILD_DIR/src/emulator/dgrid-emulator

if ! command -v nginx >/dev/null || [[ ! -d $PEERS_DIR/node/node_modules/openai ]]; then
  "$PEERS_DIR/setup.sh"
fi
source "$ROOT/scripts/emulator.sh"
work=$(mktemp -d)
cleanup() {
  stop_emulator 2>/dev/null || true
  "$PEERS_DIR/server.sh" stop >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$PEERS_DIR/server.sh" start >/dev/null
plain_url=https://127.0.0.1:8443/plain/v1
ca=$PEERS_DIR/certs/ca.crt
pin=()
[[ ${PIN:-1} == 0 ]] || pin=(taskset -c 1)

# input N PATH: N Batch API lines of one short prompt each.
input() {
  python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[2], "w") as f:
    for i in range(int(sys.argv[1])):
        body = {"model": "emulator/echo", "messages": [{"role": "user", "content": f"prompt {i}: say something short"}]}
        f.write(json.dumps({"custom_id": f"req-{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}) + "\n")
PY
}
input 1000 "$work/small.jsonl"
input "$LINES" "$work/large.jsonl"

# timed NAME CMD...: runs CMD, keeps its user+sys CPU seconds, peak RSS (KB) and wall seconds.
declare -A cpu rss wall
timed() {
  local name=$1
  shift
  "${pin[@]}" /usr/bin/time -f '%U %S %M %e' -o "$work/time" "$@"
  read -r user sys max_rss elapsed <"$work/time"
  cpu[$name]=$(echo "$user + $sys" | bc -l)
  rss[$name]=$max_rss
  wall[$name]=$elapsed
}
# lines_of FILE: its whole lines.
lines_of() { wc -l <"$1" | tr -d ' '; }
require_all() { # require_all OUTPUT N WHAT
  [[ $(lines_of "$1") == "$2" ]] || { echo "$3: $(lines_of "$1") answers of $2" >&2; exit 1; }
}

export DGRID_API_KEY=bench-key
batch=("$dgrid" batch --base-url "$plain_url" --ca-file "$ca" --concurrency "$CONC" -q)

BENCH_CA=$ca BODIES_DIR=$PEERS_DIR/run/bodies timed bench "$bench" "$plain_url" plain "$LINES" "$CONC" 600 0 >"$work/bench.json"
timed small "${batch[@]}" "$work/small.jsonl" -o "$work/small-out.jsonl"
require_all "$work/small-out.jsonl" 1000 "dgrid batch, 1,000 lines"
timed large "${batch[@]}" "$work/large.jsonl" -o "$work/large-out.jsonl"
require_all "$work/large-out.jsonl" "$LINES" "dgrid batch, $LINES lines"
PEERS_NODE_DIR=$PEERS_DIR/node OPENAI_BASE_URL=$plain_url OPENAI_API_KEY=bench-key NODE_EXTRA_CA_CERTS=$ca \
  timed node node "$ROOT/benchmarks/batch_node.mjs" "$work/large.jsonl" "$work/node.out" "$work/node.err" "$CONC" 2>/dev/null
require_all "$work/node.out" "$LINES" "batch_node.mjs, $LINES lines"

# Twice the limit: the first RPM lines spend the full bucket, the rest come at its refill rate.
start_emulator "$emulator" --api-key bench-key --rpm "$RPM" --threads 1
input $((2 * RPM)) "$work/rpm.jsonl"
timed rpm "$dgrid" batch --base-url "$emulator_url" --ca-file "$emulator_ca" -q "$work/rpm.jsonl" -o "$work/rpm-out.jsonl"
require_all "$work/rpm-out.jsonl" $((2 * RPM)) "dgrid batch against --rpm $RPM"

per_request() { echo "scale=2; ${cpu[$1]} * 1000000 / $LINES" | bc -l; }
ratio() { echo "scale=2; $1 / $2" | bc -l; }
python3 - "$work/rpm-out.summary.json" "$RPM" >"$work/rpm.md" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rpm = int(sys.argv[2])
lines = s["succeeded"]
wall = s["wall_time_ms"] / 1000.0
# After the first full bucket (rpm requests at once), the limit allows rpm/60 a second.
sustained = (lines - rpm) / (rpm * wall / 60.0)
requests = s["succeeded"] + s["failed"] + s["retries"]
print(f"| `auto` against `--rpm {rpm}`, {lines} lines | {wall:.1f} s wall: {100 * sustained:.1f} % of the limit's rate after its first bucket | "
      f"{s['throttled']} of {requests} requests answered 429 ({100.0 * s['throttled'] / requests:.2f} %) |")
PY

echo
echo "<!-- benchmarks/run_batch.sh LINES=$LINES CONC=$CONC RPM=$RPM; $(date -u +%Y-%m-%dT%H:%MZ); git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo '+dirty') -->"
echo "| run ($LINES lines, concurrency $CONC, nginx of the peers harness) | CPU µs per request | ratio to dgrid_bench | wall s | peak RSS MB |"
echo "|---|---:|---:|---:|---:|"
for name in bench large node; do
  label=${name/bench/dgrid_bench plain}
  label=${label/large/dgrid batch}
  label=${label/node/batch_node.mjs (official Node SDK)}
  echo "| $label | $(per_request "$name") | $(ratio "${cpu[$name]}" "${cpu[bench]}")x | ${wall[$name]} | $(echo "scale=1; ${rss[$name]} / 1024" | bc -l) |"
done
echo
echo "| peak RSS of dgrid batch | 1,000 lines | $LINES lines | ratio |"
echo "|---|---:|---:|---:|"
echo "| MB | $(echo "scale=1; ${rss[small]} / 1024" | bc -l) | $(echo "scale=1; ${rss[large]} / 1024" | bc -l) | $(ratio "${rss[large]}" "${rss[small]}")x |"
echo
echo "| rate limit | sustained | throttled |"
echo "|---|---|---|"
cat "$work/rpm.md"
