#!/usr/bin/env bash
# Copy the chart library (and axe-core, which only the accessibility browser
# tests inject; no page loads it) from the npm registry into static/vendor/ (committed,
# so neither the demo nor production needs npm or a CDN at run time).
# Run after changing package.json: npm install && bash scripts/vendor-js.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/uplot ] && [ -d node_modules/axe-core ] || npm install --no-audit --no-fund --silent
mkdir -p static/vendor/uplot
cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/
cp node_modules/uplot/LICENSE static/vendor/uplot/LICENSE
version=$(node -p "require('./node_modules/uplot/package.json').version")
echo "$version" > static/vendor/uplot/VERSION
echo "uPlot $version copied to static/vendor/uplot/"

# axe-core: the accessibility engine the browser tests inject (never served to a page).
mkdir -p static/vendor/axe-core
cp node_modules/axe-core/axe.min.js static/vendor/axe-core/
cp node_modules/axe-core/LICENSE static/vendor/axe-core/LICENSE
version=$(node -p "require('./node_modules/axe-core/package.json').version")
echo "$version" > static/vendor/axe-core/VERSION
echo "axe-core $version copied to static/vendor/axe-core/"
