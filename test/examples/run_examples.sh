#!/usr/bin/env bash
# Runs every example against a dgrid-emulator started here on 127.0.0.1 over
# TLS, and checks what each prints or writes.
#   run_examples.sh EMULATOR EXAMPLES_DIR
set -euo pipefail
emulator_bin=$1
examples=$2
work=$(mktemp -d)
key="examples-key"

source "$(dirname "$0")/../../scripts/emulator.sh"
start_emulator "$emulator_bin" --api-key "$key" --token-delay-ms 2
trap 'stop_emulator; rm -rf "$work"' EXIT
export DGRID_API_KEY="$key" DGRID_BASE_URL="$emulator_url" DGRID_CA_FILE="$emulator_ca"

fail() { echo "FAILED: $*" >&2; exit 1; }

out=$("$examples/example_stream_chat" emulator/echo "streamed word by word")
echo "$out"
grep -qx "streamed word by word" <<<"$out" || fail "stream_chat printed the wrong answer"
grep -q "tokens, finish reason stop" <<<"$out" || fail "stream_chat printed no usage"

out=$("$examples/example_chat" emulator/reasoning "why")
echo "$out"
grep -qx "Answer: why" <<<"$out" || fail "chat printed the wrong answer"

"$examples/example_generate_image" emulator/image "a city" "$work/city.png"
[[ "$(head -c 8 "$work/city.png" | od -An -tx1 | tr -d ' \n')" == "89504e470d0a1a0a" ]] || fail "not a PNG"

out=$("$examples/example_list_models")
echo "$out"
grep -qx "emulator/image" <<<"$out" || fail "list_models misses emulator/image"

out=$("$examples/example_metrics" 20 emulator/echo "one two three four five six")
echo "$out"
grep -q "^20 streams, 20 ok, 0 failed" <<<"$out" || fail "metrics lost streams"
grep -Eq "^time to first token: p50 [0-9.]+ ms, p90 [0-9.]+ ms, p99 [0-9.]+ ms$" <<<"$out" || fail "metrics: no TTFT"
grep -Eq "^inter-token latency: p50 [0-9.]+ ms, p90" <<<"$out" || fail "metrics: no inter-token latency"
grep -Eq "^tokens/s: [0-9.]+" <<<"$out" || fail "metrics: no tokens/s"

out=$("$examples/example_structured_output" emulator/json "a trip")
echo "$out"
grep -qx "title: title" <<<"$out" || fail "structured_output printed no title"
grep -qx "best season: spring" <<<"$out" || fail "structured_output printed no season"
grep -qx "stop: city, 1 nights" <<<"$out" || fail "structured_output printed no stop"
"$examples/example_structured_output" emulator/refusal "a trip" 2>"$work/err" && fail "a refusal parsed"
grep -q "refused" "$work/err" || fail "no refusal error: $(cat "$work/err")"

out=$("$examples/example_tools" emulator/tools "weather and money")
echo "$out"
grep -qx 'call: get_weather {"city":"city"}' <<<"$out" || fail "tools: no weather call"
amount='\{"amount":1\.65[0-9]*E0,"currency":"to"\}'
grep -Eqx "result: $amount" <<<"$out" || fail "tools: no conversion result"
grep -Eqx "answer: The tools answered: 18 degrees and sunny in city; $amount" <<<"$out" || fail "tools: wrong answer"
grep -qx '\[2 requests\]' <<<"$out" || fail "tools: wrong step count"

DGRID_API_KEY=wrong "$examples/example_chat" emulator/echo hi 2>"$work/err" && fail "a wrong key succeeded"
grep -q "HTTP 401" "$work/err" || fail "no 401 diagnostics: $(cat "$work/err")"
grep -q "wrong" "$work/err" && fail "the key leaked into the error text"
echo "examples: 8 passed, 0 failed"
