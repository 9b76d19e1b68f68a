#!/usr/bin/env bash
# README command 2: run every test.
#   1. unit tests of tutorial_lib (tests/)
#   2. every notebook executed in a fresh kernel (pytest --nbval-lax, quick profile)
#   3. the book built with warnings as errors (scripts/build_book.sh)
# Prints the time of each stage. Fails when any stage fails or when a stage collects no test.
#
# Offline machines need the data mirror: TUTORIAL_DATA_MIRROR=/path/to/shared/data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TUTORIAL_PROFILE="${TUTORIAL_PROFILE:-quick}"
export PYTHONHASHSEED=0
unset MPLBACKEND
total_start=$(date +%s)
declare -a timings=()
pytest_log="$(mktemp)"
trap 'rm -f "$pytest_log"' EXIT

stage() {  # stage NAME COMMAND...: run a stage, time it, turn "no tests collected" into a failure
    local name="$1"; shift
    local start rc
    start=$(date +%s)
    echo "=== stage: $name"
    set +e
    "$@"
    rc=$?
    set -e
    timings+=("$(printf '%-16s %5d s' "$name" $(( $(date +%s) - start )))")
    if [ "$rc" -eq 5 ]; then
        echo "FAILED: stage '$name' collected no tests (pytest exit 5)"; exit 1
    elif [ "$rc" -ne 0 ]; then
        echo "FAILED: stage '$name' exited with $rc"; exit "$rc"
    fi
}

stage "set-up" bash scripts/setup_env.sh
echo "tests: profile=$TUTORIAL_PROFILE data mirror=${TUTORIAL_DATA_MIRROR:-<none: datasets are downloaded>}"
run_pytest() {  # pytest with its output also kept, to add up the counts at the end
    set -o pipefail
    .venv/bin/python -m pytest "$@" 2>&1 | tee -a "$pytest_log"
}
stage "unit tests" run_pytest tests -q -p no:cacheprovider
# Progress bars are for people at a keyboard; executed notebooks would keep them frozen at 0%.
export TQDM_DISABLE=1
stage "notebooks" run_pytest --nbval-lax --nbval-current-env -q -p no:cacheprovider notebooks
stage "book build" bash scripts/build_book.sh

echo "=== timings"
printf '%s\n' "${timings[@]}"
echo "total            $(( $(date +%s) - total_start )) s"
# Every stage passed to get here; add up what pytest counted (unit tests + notebook cells).
passed=$(grep -Eo '[0-9]+ passed' "$pytest_log" | awk '{n += $1} END {print n + 0}')
echo "all stages: $passed passed, 0 failed"
