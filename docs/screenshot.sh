#!/bin/sh
# Regenerates docs/report.png: runs the fixtures job into a scratch directory and takes a
# 1280 px wide screenshot of its report.html (its first screen and a little more) with
# headless Chromium.
#
#   docs/screenshot.sh            # from the repository root; needs /usr/bin/chromium
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cargo run -q -p curate -- run "$root/jobs/finance.toml" --output-dir "$scratch" --quiet
"${CHROMIUM:-/usr/bin/chromium}" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --no-first-run \
    --hide-scrollbars --user-data-dir="$scratch/profile" \
    --window-size=1280,1400 --screenshot="$root/docs/report.png" \
    "file://$scratch/finance/report.html"
echo "wrote $root/docs/report.png"
