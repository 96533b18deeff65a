#!/usr/bin/env bash
# Checks the formatting, builds dgrid-cpp and runs the whole test suite: a
# plain debug build (with the consumer tests and the reference documentation),
# the same suite under AddressSanitizer + UndefinedBehaviorSanitizer, and the
# concurrent integration suite under ThreadSanitizer; then a short fuzzing run.
#   scripts/test.sh                 all of it
#   PRESETS=debug scripts/test.sh   only some
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/check-format.sh

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
# Paths are hashed relative to the checkout, so that another clone (CI's)
# hits what this one compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
# Each heavy translation unit takes 1-2 GB: one compile per core.
jobs="${JOBS:-$(nproc)}"

for preset in ${PRESETS:-debug asan tsan}; do
  echo "== $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j 1
  if [[ $preset == debug ]]; then
    # The reference documentation: a Doxygen warning fails it.
    cmake --build --preset debug --target docs
  fi
done

# A short fuzzing smoke run (scripts/fuzz.sh runs longer on request).
FUZZ_SECONDS="${FUZZ_SECONDS:-10}" scripts/fuzz.sh
