#!/usr/bin/env bash
# README command 2: run every test, executing each notebook exactly once.
#   1. set-up       scripts/setup_env.sh: the pinned .venv and a Chinese font
#   2. unit tests   pytest tests: tutorial_lib's unit tests and the book's structure
#                   (pyproject.toml's norecursedirs keeps tests/built out of this stage)
#   3. book build   scripts/build_book.sh: executes every notebook in a fresh kernel (quick
#                   profile) and builds the pages with warnings as errors
#   4. built book   pytest tests/built: checks what stage 3 produced, without executing
#                   anything again: the executed copies (_build/jupyter_execute: every cell
#                   ran in order, no error, nothing on stderr, the run-profile line first; the
#                   sources under notebooks/ stored without outputs) and the pages in
#                   _build/html. Fails when the build outputs are missing.
# Then it prints each notebook's execution time and the total (from the build's own records,
# scripts/notebook_times.py), the time of each stage, and the number of tests passed.
#
# Why the build is the executor of record: it must execute every notebook anyway to put the
# outputs on the pages, and the executed copies it writes hold everything a separate executor
# such as nbval would check (errors), and more (stderr, execution order). Running nbval as
# well executed every notebook twice; with eleven chapters that does not fit in CI's budget.
#
# Fails when any stage fails, or when a pytest stage collects no test (exit 5 is no pass).
# Offline machines need the data mirror: TUTORIAL_DATA_MIRROR=/path/to/shared/data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export TUTORIAL_PROFILE="${TUTORIAL_PROFILE:-quick}"
export PYTHONHASHSEED=0
# Tests and notebook kernels import this checkout's tutorial_lib, even when .venv is shared
# with another checkout (its editable install then points there).
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
unset MPLBACKEND
total_start=$(date +%s)
declare -a timings=()
passed_total=0
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

run_pytest() {  # pytest, its output also kept, to count what passed from its summary line
    : > "$pytest_log"
    .venv/bin/python -m pytest "$@" 2>&1 | tee "$pytest_log"
}

count_passed() {  # the "N passed" of the last pytest summary line ("12 passed, 1 xfailed in 3.1s")
    local summary
    summary="$(grep -E '[0-9]+ (passed|failed|error|errors|skipped|xfailed|xpassed|deselected).* in [0-9.]+s' "$pytest_log" | tail -n 1)"
    passed_total=$(( passed_total + $(echo "$summary" | grep -Eo '[0-9]+ passed' | awk '{n += $1} END {print n + 0}') ))
}

stage "set-up" bash scripts/setup_env.sh
echo "tests: profile=$TUTORIAL_PROFILE data mirror=${TUTORIAL_DATA_MIRROR:-<none: datasets are downloaded>}"
stage "unit tests" run_pytest tests -q -p no:cacheprovider
count_passed
stage "book build" bash scripts/build_book.sh
stage "built book" run_pytest tests/built -q -p no:cacheprovider
count_passed

echo "=== notebook execution times"
.venv/bin/python scripts/notebook_times.py
echo "=== timings"
printf '%s\n' "${timings[@]}"
echo "total            $(( $(date +%s) - total_start )) s"
# Every stage passed to get here; the count adds up both pytest stages.
echo "all stages: $passed_total passed, 0 failed"
