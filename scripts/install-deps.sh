#!/usr/bin/env bash
# Installs what building and testing dgrid-cpp needs on Debian 12 (as root,
# or with sudo). Does nothing when everything is there already.
set -euo pipefail

# tinyproxy: the proxy the proxy tests start on 127.0.0.1; chromium and
# python3-websocket: the browser that test/browser drives.
packages=(g++ cmake ninja-build ccache pkg-config openssl libssl-dev clang-format-14 doxygen tinyproxy libcli11-dev
          chromium python3-websocket
          libboost1.81-dev libboost-json1.81-dev libboost-test1.81-dev libboost-system1.81-dev)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0

sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
