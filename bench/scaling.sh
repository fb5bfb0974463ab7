#!/usr/bin/env bash
# Training throughput of the cmd/mnist recipe at GOMAXPROCS 1 and 2 and at
# batch sizes 32, 128 and 512: one epoch on LIMIT training images (default
# 20,000) per setting; prints images/s (training steps only, median) and the
# peak RSS of each run as a Markdown table.
#
#   bench/scaling.sh
#   LIMIT=50000 bench/scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${LIMIT:-20000}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -o "$TMP/mnist" ./cmd/mnist
echo "| GOMAXPROCS | batch | images/s | peak RSS (MiB) |"
echo "|---|---|---|---|"
for procs in 1 2; do
	for batch in 32 128 512; do
		out="$TMP/p$procs-b$batch"
		GOMAXPROCS=$procs "$TMP/mnist" -epochs 1 -limit "$LIMIT" -batch "$batch" -out "$out" -quiet >/dev/null
		sed -n 's/.*"images_per_s": \([0-9.]*\).*/\1/p; s/.*"peak_rss_mib": \([0-9.]*\).*/\1/p' "$out/result.json" |
			paste -sd' ' | awk -v p="$procs" -v b="$batch" '{printf "| %s | %s | %.0f | %.0f |\n", p, b, $1, $2}'
	done
done
