#!/usr/bin/env bash
# Put local copies of Mermaid (diagrams) and MathJax (formulas) under _static/vendor/, taken
# from the npm registry, so that the built book renders them with no internet connection.
# Optional: without npm the book loads both from their public CDNs (book/_ext/local_assets.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/_static/vendor"
mermaid_version="11.12.1"
mathjax_version="3.2.2"

if [ -f "$vendor/mermaid/mermaid.esm.min.mjs" ] && [ -f "$vendor/mathjax/tex-chtml.js" ]; then
    echo "vendor: Mermaid and MathJax already in _static/vendor"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "vendor: npm not found; the book will load Mermaid and MathJax from their CDNs"
    exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$mermaid_version" "mathjax@$mathjax_version" >/dev/null)
mkdir -p "$work/mermaid" "$work/mathjax"
tar -xzf "$work/mermaid-$mermaid_version.tgz" -C "$work/mermaid"
tar -xzf "$work/mathjax-$mathjax_version.tgz" -C "$work/mathjax"

rm -rf "$vendor/mermaid" "$vendor/mathjax"
mkdir -p "$vendor/mermaid/chunks/mermaid.esm.min" "$vendor/mathjax/output/chtml/fonts" "$vendor/mathjax/input/tex"
cp "$work/mermaid/package/dist/mermaid.esm.min.mjs" "$vendor/mermaid/"
cp "$work/mermaid/package/dist/chunks/mermaid.esm.min/"*.mjs "$vendor/mermaid/chunks/mermaid.esm.min/"
cp "$work/mermaid/package/LICENSE" "$vendor/mermaid/LICENSE"
cp "$work/mathjax/package/es5/tex-chtml.js" "$vendor/mathjax/"
cp -r "$work/mathjax/package/es5/output/chtml/fonts/woff-v2" "$vendor/mathjax/output/chtml/fonts/"
cp -r "$work/mathjax/package/es5/input/tex/extensions" "$vendor/mathjax/input/tex/"
cp "$work/mathjax/package/LICENSE" "$vendor/mathjax/LICENSE"
echo "vendor: Mermaid $mermaid_version and MathJax $mathjax_version copied to _static/vendor"
