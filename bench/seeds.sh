#!/usr/bin/env bash
# Test accuracy of the full cmd/mnist recipe (50 epochs) over several seeds:
# the spread that one seed's number comes from. Each seed seeds the weights,
# the 50,000/10,000 split and the shuffling. Results do not depend on the
# number of cores, so runs go JOBS at a time with GOMAXPROCS=1 each.
# Prints a Markdown table, then the mean, standard deviation, minimum and
# maximum of the test accuracy. About 5 minutes per seed per core here.
#
#   bench/seeds.sh               # seeds 1..12, 2 at a time
#   SEEDS="1 2 3" JOBS=1 EPOCHS=50 bench/seeds.sh
#   OUT=/tmp/seeds bench/seeds.sh   # keep every run's -out directory
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-$(seq 1 12)}
JOBS=${JOBS:-2}
EPOCHS=${EPOCHS:-50}
OUT=${OUT:-}
if [ -z "$OUT" ]; then
	OUT=$(mktemp -d)
	trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"
go build -o "$OUT/mnist" ./cmd/mnist
for s in $SEEDS; do
	[ -f "$OUT/s$s/result.json" ] && continue
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
	echo "seed $s..." >&2
	rm -rf "$OUT/s$s"
	GOMAXPROCS=1 "$OUT/mnist" -epochs "$EPOCHS" -seed "$s" -quiet -out "$OUT/s$s" >/dev/null &
done
wait
echo "| seed | test accuracy | test loss | val accuracy | train loss |"
echo "|---|---|---|---|---|"
for s in $SEEDS; do
	sed -n 's/.*"\(test_acc\|test_loss\|val_acc\|train_loss\)": \([0-9.e-]*\).*/\1 \2/p' "$OUT/s$s/result.json" |
		awk -v s="$s" '{v[$1]=$2} END {printf "| %s | %.2f%% | %.4f | %.2f%% | %.4f |\n", s, 100*v["test_acc"], v["test_loss"], 100*v["val_acc"], v["train_loss"]}'
done
for s in $SEEDS; do
	sed -n 's/.*"test_acc": \([0-9.]*\).*/\1/p' "$OUT/s$s/result.json"
done | awk '{x[NR]=100*$1; m+=x[NR]} END {m/=NR; for(i=1;i<=NR;i++){d+=(x[i]-m)^2; if(i==1||x[i]<lo)lo=x[i]; if(i==1||x[i]>hi)hi=x[i]}
	printf "\n%d seeds: test accuracy mean %.3f%%, standard deviation %.3f, min %.2f%%, max %.2f%%\n", NR, m, sqrt(d/(NR-1)), lo, hi}'
