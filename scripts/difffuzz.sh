#!/usr/bin/env bash
# Differential fuzzer driver: see scripts/difffuzz.js (usage: difffuzz.sh N [SEED]).
exec node "$(dirname "$0")/difffuzz.js" "$@"
