#!/usr/bin/env bash
# Consumes dgrid as its users do, each way in a project of its own
# (test/cmake/consumer), and runs the program against a dgrid-emulator:
#   1. installed to a temporary prefix, found with find_package;
#   2. through add_subdirectory of this checkout;
#   3. through FetchContent of this checkout, built as a shared library;
#   4. with pkg-config, compiling one file;
#   5. from the libdgrid-dev package that `cpack -G DEB` makes, unpacked
#      with `dpkg -x` into a directory (never installed on the machine).
#   run_consumers.sh SOURCE_DIR BUILD_DIR EMULATOR
# BUILD_DIR is a configured build of dgrid, installed from.
set -euo pipefail
source_dir=$(cd "$1" && pwd)
build_dir=$2
emulator_bin=$3
work=$(mktemp -d)
key="consumer-key"
# Paths inside the work directory do not make ccache miss from one run to the next.
export CCACHE_BASEDIR="$work" CCACHE_NOHASHDIR=1

source "$source_dir/scripts/emulator.sh"
start_emulator "$emulator_bin" --api-key "$key"
trap 'stop_emulator; rm -rf "$work"' EXIT
export DGRID_API_KEY="$key" DGRID_BASE_URL="$emulator_url" DGRID_CA_FILE="$emulator_ca"

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@" >"$work/$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    echo "FAILED: $name" >&2
    tail -n 30 "$work/$name.log" >&2
  fi
}

# The consumers' own builds use ccache when there is one, as a user may.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# Builds and runs the consumer in $work/NAME, taking dgrid the way HOW says.
consume() {
  local name=$1 how=$2
  shift 2
  cmake -S "$source_dir/test/cmake/consumer" -B "$work/$name" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DDGRID_CONSUME="$how" -DDGRID_SOURCE_DIR="$source_dir" "${launcher[@]}" "$@" &&
    cmake --build "$work/$name" &&
    "$work/$name/consumer"
}

check install cmake --install "$build_dir" --prefix "$work/prefix"
check find_package consume find_package find_package -DCMAKE_PREFIX_PATH="$work/prefix"
check add_subdirectory consume add_subdirectory add_subdirectory
shared() {
  consume shared fetch_content -DBUILD_SHARED_LIBS=ON && ldd "$work/shared/consumer" | grep -q 'libdgrid\.so'
}
check fetch_content_shared shared

pkg_config() {
  local pc_dir
  pc_dir=$(dirname "$(find "$work/prefix" -name dgrid.pc)")
  # shellcheck disable=SC2046 # the flags are words
  g++ "$source_dir/test/cmake/consumer/main.cpp" -o "$work/pkg_config_consumer" \
    $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs dgrid) &&
    "$work/pkg_config_consumer"
}
check pkg_config pkg_config

debian_package() {
  local deb
  (cd "$build_dir" && cpack -G DEB -B "$work/deb") &&
    deb=$(find "$work/deb" -maxdepth 1 -name 'libdgrid-dev_*.deb') &&
    dpkg-deb -f "$deb" Depends | grep -q 'libboost-json1.81-dev' &&
    dpkg -x "$deb" "$work/root" &&
    consume deb find_package -DCMAKE_PREFIX_PATH="$work/root/usr"
}
check debian_package debian_package

echo "cmake consumers: $passed passed, $failed failed"
((failed == 0))
