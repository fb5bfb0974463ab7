#!/usr/bin/env bash
# Checks this project's training step for step against PyTorch: records the
# first STEPS batches of the cmd/mnist recipe (go run ./bench/crosscheck)
# and replays them in PyTorch from the same initial weights, in float32 and
# float64 (bench/crosscheck.py). Prints how far Go and float32 PyTorch each
# end up from the float64 run.
#
#   bench/crosscheck.sh               # 400 steps (one epoch and a bit), seed 1
#   STEPS=100 SEED=3 bench/crosscheck.sh
#   STEPS=19550 PYFLAGS=--no-float64 bench/crosscheck.sh   # all 50 epochs, float32 only
#
# Installs Debian's python3-torch if it is missing, which needs root and apt.
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-400}
PYFLAGS=${PYFLAGS:-}
SEED=${SEED:-1}
PY=/usr/bin/python3

if ! "$PY" -c "import torch" 2>/dev/null; then
	echo "installing python3-torch..." >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go run ./bench/crosscheck -steps "$STEPS" -seed "$SEED" -out "$TMP"
"$PY" bench/crosscheck.py $PYFLAGS "$TMP"
