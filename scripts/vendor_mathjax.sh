#!/usr/bin/env bash
# Refresh the vendored MathJax used by the book (so math renders with no network).
#   bash scripts/vendor_mathjax.sh [version]
# Needs npm (the npm registry). Copies only what the CHTML TeX renderer loads:
# the combined tex-chtml.js, its TeX extensions (autoloaded on demand), the menu and
# accessibility components it can load lazily, and the woff-v2 fonts. Licence: Apache-2.0.
set -euo pipefail
version="${1:-3.2.2}"
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/_vendor/mathjax"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "mathjax@$version" >/dev/null && tar xzf "mathjax-$version.tgz")
src="$tmp/package/es5"
rm -rf "$dest"; mkdir -p "$dest/input/tex" "$dest/output/chtml/fonts"
cp "$src/tex-chtml.js" "$dest/"
cp -r "$src/input/tex/extensions" "$dest/input/tex/"
cp -r "$src/output/chtml/fonts/woff-v2" "$dest/output/chtml/fonts/"
cp -r "$src/ui" "$src/a11y" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "MathJax $version (npm package 'mathjax'), copied by scripts/vendor_mathjax.sh" > "$dest/VERSION"
du -sh "$dest"
