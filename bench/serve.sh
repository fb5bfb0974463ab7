#!/usr/bin/env bash
# What dynamic batching buys cmd/serve: BenchmarkServe in package serve
# sends single-image predict requests over loopback HTTP from 1, 8, 32 and
# 128 concurrent clients to the recipe network, with batching on (max batch
# 32, timeout 2ms) and off, and this prints its throughput and p50/p99
# latency, and the mean number of images per forward pass, as a Markdown
# table. REQUESTS (default 2000) is the number of
# requests per setting; every answer is checked against a serial Predict.
#
#   bench/serve.sh
#   REQUESTS=5000 bench/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-2000}
echo "| clients | batching | requests/s | p50 (ms) | p99 (ms) | images per forward pass |"
echo "|---|---|---|---|---|---|"
go test -run '^$' -bench '^BenchmarkServe$' -benchtime "${REQUESTS}x" ./serve/ |
	awk '/^BenchmarkServe\// {
		split($1, name, "/"); sub("clients=", "", name[2]); sub("batching=", "", name[3]); sub("-[0-9]+$", "", name[3])
		for (i = 3; i < NF; i++) m[$(i+1)] = $i
		printf "| %s | %s | %.0f | %.2f | %.2f | %.1f |\n", name[2], name[3] == "true" ? "on" : "off", m["req/s"], m["p50-ms"], m["p99-ms"], m["inst/batch"]
	}'
