#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz (clang 14, ASan + UBSan) and runs
# each for a while, starting from a copy of its seed corpus (the repository is
# not written to). Fails when a target finds a crash, leak, timeout or
# sanitizer report; the input that did it is kept under the build directory.
#   scripts/fuzz.sh                                  20 s per target
#   FUZZ_SECONDS=3600 scripts/fuzz.sh                an hour per target
#   FUZZ_TARGETS="fuzz_images" scripts/fuzz.sh       some targets only
#   FUZZ_BUILD_DIR=/tmp/fuzz JOBS=1 scripts/fuzz.sh  elsewhere, one compile at a time
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

# libFuzzer comes with clang's runtime libraries.
packages=(clang-14 libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
fi

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
build="${FUZZ_BUILD_DIR:-build/fuzz}"
seconds="${FUZZ_SECONDS:-20}"
targets=(${FUZZ_TARGETS:-fuzz_sse_parser fuzz_chunk_stream fuzz_completion fuzz_request fuzz_images})

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-14 \
  -DDGRID_BUILD_FUZZERS=ON -DDGRID_BUILD_TESTS=OFF -DDGRID_BUILD_EXAMPLES=OFF \
  -DDGRID_BUILD_EMULATOR=OFF -DDGRID_HEADER_CHECKS=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j "${JOBS:-$(nproc)}"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if command -v llvm-symbolizer-14 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14)}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"

passed=0
failed=0
for target in "${targets[@]}"; do
  binary="$build/test/fuzz/$target"
  corpus="$work/$target"
  mkdir -p "$corpus"
  cp test/fuzz/corpus/"$target"/* "$corpus"/
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts/$target-")
  if [[ -f test/fuzz/$target.dict ]]; then
    options+=(-dict="test/fuzz/$target.dict")
  fi
  log="$work/$target.log"
  if "$binary" "${options[@]}" "$corpus" >"$log" 2>&1; then
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
    # cov: instrumented edges reached, of all the edges in the binary (the
    # harness, the library code under test and the Boost.JSON headers it uses).
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | tr -dc 0-9)"
    edges="$(sed -n 's/.*Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -n 1)"
    ft="$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | tr -dc 0-9)"
    echo "$target: ok, ${runs:-?} runs in ${seconds} s (${speed:-?} exec/s), cov ${cov:-?}/${edges:-?} edges, ft ${ft:-?}, corpus $(ls "$corpus" | wc -l) files"
    passed=$((passed + 1))
  else
    echo "$target: FAILED; the log ends with:"
    tail -n 40 "$log" | sed 's/^/    /'
    echo "$target: reproduce with: $binary $(ls -t "$artifacts/$target-"* 2>/dev/null | head -n 1)"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
