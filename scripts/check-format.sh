#!/usr/bin/env bash
# Checks that the C++ files of the tree are formatted as .clang-format says,
# with clang-format 14 (Debian 12's); scripts/test.sh runs it first.
#   scripts/check-format.sh         lists the files that differ, fails if any
#   scripts/check-format.sh --fix   formats them in place
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

mapfile -t files < <(git ls-files '*.hpp' '*.ipp' '*.cpp')
if [[ ${1:-} == --fix ]]; then
  clang-format-14 -i "${files[@]}"
  exit 0
fi
if ! clang-format-14 --dry-run -Werror "${files[@]}" 2>/dev/null; then
  for f in "${files[@]}"; do
    clang-format-14 "$f" | cmp -s "$f" - || echo "not formatted: $f"
  done
  echo "format: run scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "format: ${#files[@]} files as .clang-format says"
