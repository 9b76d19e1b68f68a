#!/usr/bin/env bash
# README command 1: build the static book into _build/html.
# This build is the one place the notebooks are executed: each once, in a fresh kernel, with
# the profile the machine selects (quick on a CPU). Any warning fails the build: a cell that
# raises, a broken cross-reference, a missing figure or a glyph missing from the font all
# stop it (-W -n --keep-going; stderr output of a cell counts as a warning).
# Besides the pages it leaves what the tests of tests/built read: the executed notebooks
# (_build/jupyter_execute/**.ipynb) and myst-nb's execution records (_build/.doctrees), and
# it ends with the table of how long each notebook took (scripts/notebook_times.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# Notebook kernels and scripts import this checkout's tutorial_lib, even when .venv is shared
# with another checkout (its editable install then points there).
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
bash scripts/setup_env.sh
bash scripts/vendor_js.sh
unset MPLBACKEND  # notebooks draw inline; a non-interactive backend would warn on plt.show()
# Progress bars are for people at a keyboard; in the static book they would be frozen at 0%.
export TQDM_DISABLE=1
start=$(date +%s)
# Nothing from an earlier build may pass for this one's: pages, executed copies, records.
rm -rf _build/html _build/.doctrees _build/jupyter_execute
set +e
.venv/bin/jupyter-book build . -W -n --keep-going
build_status=$?
set -e
seconds=$(( $(date +%s) - start ))
if [ "$build_status" -ne 0 ]; then
    echo "build: FAILED (jupyter-book exited with $build_status) after $seconds s"
    .venv/bin/python scripts/notebook_times.py || true  # which notebooks ran, and how long
    exit "$build_status"
fi
echo "build: book built in $seconds s; open _build/html/index.html"
# A successful build that recorded no notebook execution is a failure too (execution off?).
.venv/bin/python scripts/notebook_times.py
