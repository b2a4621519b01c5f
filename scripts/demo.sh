#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the main job: the demo of
# tasks, channels and WebAssembly under Bun, then under Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "--- bun examples/demo.js ---"
node_modules/.bin/bun examples/demo.js
echo "--- node examples/demo.js ---"
node examples/demo.js
