#!/usr/bin/env bash
# The main job: builds the library, the examples and the emulator, then streams
# an answer to a question token by token. With DGRID_API_KEY set it asks the real gateway
# (https://api.dgrid.ai/v1); without, it starts the bundled emulator on
# 127.0.0.1, asks it over TLS, and stops it.
#   scripts/run-example.sh [model] [question]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

cmake --preset release -DDGRID_BUILD_EMULATOR=ON >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" --target example_stream_chat dgrid-emulator
bin=build/release

if [[ -n "${DGRID_API_KEY:-}" ]]; then
  exec "$bin/examples/example_stream_chat" "${1:-openai/gpt-4o-mini}" "${2:-Say hello in five words.}"
fi

source scripts/emulator.sh
key="emulator-example-key"
start_emulator "$bin/src/emulator/dgrid-emulator" --api-key "$key" --token-delay-ms 40
trap stop_emulator EXIT
echo "emulator at $emulator_url"
DGRID_API_KEY="$key" DGRID_BASE_URL="$emulator_url" DGRID_CA_FILE="$emulator_ca" \
  "$bin/examples/example_stream_chat" "${1:-emulator/echo}" "${2:-Hello from dgrid-cpp!}"
