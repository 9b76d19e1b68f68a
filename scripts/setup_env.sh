#!/usr/bin/env bash
# Create (or reuse) the virtual environment .venv with the pinned versions of everything the
# book needs, make sure a font with Chinese glyphs is installed, and make sure the browser
# the built-book tests drive (Debian's chromium and chromium-driver) is there. Called by both
# README commands; safe to run again (it does nothing when the pins have not changed).
#
#   VENV_DIR         where the environment lives (default: .venv in the repository root)
#   PYTHON           the interpreter that creates it (default: python3)
#   TORCH_INDEX_URL  optional extra index for torch, e.g. PyTorch's CPU wheel index on a
#                    Linux laptop, so pip does not download several GB of CUDA libraries
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${VENV_DIR:-$root/.venv}"
python="${PYTHON:-python3}"
stamp_file="$venv/.book-env-stamp"
stamp="$(cat "$root/pyproject.toml" "$root/constraints.txt" | sha256sum | cut -d' ' -f1)"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
    echo "setup: reusing $venv (pins unchanged)"
else
    echo "setup: creating $venv from pyproject.toml + constraints.txt"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    torch_pin="$(grep -E '^torch==' "$root/constraints.txt")"
    # torch first: installed alone, a CPU build stays the one pip keeps; pulled in later as
    # a dependency it could bring several GB of CUDA packages.
    if [ -n "${TORCH_INDEX_URL:-}" ]; then
        "$venv/bin/python" -m pip install --quiet "$torch_pin" --extra-index-url "$TORCH_INDEX_URL"
    else
        "$venv/bin/python" -m pip install --quiet "$torch_pin"
    fi
    "$venv/bin/python" -m pip install --quiet -c "$root/constraints.txt" -e "$root[book,test]"
    echo "$stamp" > "$stamp_file"
fi

# Build matplotlib's font cache now, so that no notebook prints "building the font cache"
# on its first run, and check that a Chinese font is present (installing one where possible).
"$venv/bin/python" - <<'PY'
import matplotlib
matplotlib.use("Agg")
from tutorial_lib.book.fonts import use_chinese_font
try:
    print(f"setup: Chinese text in figures uses the font {use_chinese_font()!r}")
except RuntimeError as error:
    raise SystemExit(f"setup: {error}")
PY

# tests/built/test_pages_in_browser.py opens every built page in headless Chromium, driven by
# the system chromedriver (Selenium never downloads a browser of its own). Debian packages
# them as chromium and chromium-driver; install them when running as root (CI containers).
chromium_bin=/usr/bin/chromium
chromedriver_bin=/usr/bin/chromedriver
if [ -x "$chromium_bin" ] && [ -x "$chromedriver_bin" ]; then
    echo "setup: browser for the page tests: $("$chromium_bin" --version 2>/dev/null | head -n 1)"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium and chromium-driver with apt-get (for the built-book browser test)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    if [ ! -x "$chromium_bin" ] || [ ! -x "$chromedriver_bin" ]; then
        echo "setup: apt-get installed chromium but $chromium_bin or $chromedriver_bin is missing"; exit 1
    fi
    echo "setup: installed $("$chromium_bin" --version 2>/dev/null | head -n 1)"
else
    echo "setup: WARNING: $chromium_bin and $chromedriver_bin are needed by tests/built/test_pages_in_browser.py"
    echo "       and are missing. Install Debian's packages as root:"
    echo "         sudo apt-get update && sudo apt-get install chromium chromium-driver"
    echo "       (on other systems: any Chromium with the chromedriver of the same version at those paths)."
fi
