#!/usr/bin/env bash
# README command 1: build the static book into _build/html.
# Every notebook is executed (quick profile on a CPU) and any warning fails the build: a
# cell that raises, a broken cross-reference, a missing figure or a glyph missing from the
# font all stop it (-W -n --keep-going; stderr output of a cell counts as a warning).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup_env.sh
bash scripts/vendor_js.sh
unset MPLBACKEND  # notebooks draw inline; a non-interactive backend would warn on plt.show()
# Progress bars are for people at a keyboard; in the static book they would be frozen at 0%.
export TQDM_DISABLE=1
start=$(date +%s)
rm -rf _build/html _build/.doctrees
.venv/bin/jupyter-book build . -W -n --keep-going
echo "build: book built in $(( $(date +%s) - start )) s; open _build/html/index.html"
