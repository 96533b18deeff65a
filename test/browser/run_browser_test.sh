#!/usr/bin/env bash
# The chat server example's page in a real browser: installs Debian's
# chromium and python3-websocket when they are missing, starts the emulator
# and the server on 127.0.0.1, drives the page in headless Chromium
# (drive_chat_page.py) and leaves a screenshot in OUT_DIR.
#   test/browser/run_browser_test.sh EMULATOR CHAT_SERVER OUT_DIR
set -euo pipefail
emulator_bin=$1
server_bin=$2
out_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/emulator.sh"

# Debian's Python, which Debian's python3-websocket serves (not one of a
# version manager's earlier on the PATH).
python=/usr/bin/python3
missing=()
command -v chromium >/dev/null || missing+=(chromium)
"$python" -c 'import websocket' 2>/dev/null || missing+=(python3-websocket)
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
server_pid=""
browser_pid=""
cleanup() {
  for pid in $browser_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  stop_emulator
  rm -rf "$work"
}
trap cleanup EXIT

key=sk-browser-test-5c1e
start_emulator "$emulator_bin" --api-key "$key"
DGRID_API_KEY=$key DGRID_BASE_URL=$emulator_url DGRID_CA_FILE=$emulator_ca \
  "$server_bin" --port 0 >"$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 200); do
  grep -q '^listening ' "$work/server.out" && break
  sleep 0.1
done
page_url=$(sed -n 's/^listening //p' "$work/server.out")
[[ -n $page_url ]] || { echo "the server did not start:" >&2; cat "$work/server.out" >&2; exit 1; }

chromium --headless=new --no-sandbox --disable-gpu --no-first-run --disable-extensions \
  --user-data-dir="$work/profile" --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 \
  --remote-allow-origins='*' about:blank 2>"$work/browser.err" &
browser_pid=$!
devtools=""
for _ in $(seq 300); do
  devtools=$(sed -n 's/^DevTools listening on \(ws:.*\)$/\1/p' "$work/browser.err")
  [[ -n $devtools ]] && break
  sleep 0.1
done
[[ -n $devtools ]] || { echo "chromium did not start:" >&2; cat "$work/browser.err" >&2; exit 1; }

mkdir -p "$out_dir"
"$python" "$here/drive_chat_page.py" "$devtools" "$page_url/" "$out_dir/chat_page.png" "$key"
