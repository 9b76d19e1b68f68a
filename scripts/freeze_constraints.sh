#!/usr/bin/env bash
# Rewrite constraints.txt from the current .venv (after changing a dependency on purpose).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
{
    echo "# Exact versions the book is built and tested with (pip freeze of a working environment)."
    echo "# scripts/setup_env.sh installs with '-c constraints.txt'. Regenerate with scripts/freeze_constraints.sh."
    # The local '+cpu' tag is dropped so the same file serves CPU and CUDA builds of torch.
    "$root/.venv/bin/python" -m pip freeze --exclude-editable | sed 's/+cpu$//'
} > "$root/constraints.txt"
