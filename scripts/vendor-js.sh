#!/usr/bin/env bash
# Copy the chart library from the npm registry into static/vendor/ (committed,
# so neither the demo nor production needs npm or a CDN at run time).
# Run after changing package.json: npm install && bash scripts/vendor-js.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/uplot ] || npm install --no-audit --no-fund --silent
mkdir -p static/vendor/uplot
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/
cp node_modules/uplot/LICENSE static/vendor/uplot/LICENSE
version=$(node -p "require('./node_modules/uplot/package.json').version")
echo "$version" > static/vendor/uplot/VERSION
echo "uPlot $version copied to static/vendor/uplot/"
