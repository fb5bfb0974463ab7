#!/usr/bin/env bash
# Builds the image of deploy/Containerfile, takes the binary back out of it
# (podman create and podman cp: running containers is not possible on every
# machine), serves a model file and an ONNX file with it on 127.0.0.1, and
# checks /healthz, the metadata and a predict. Skips, with a message and
# status 0, where podman is absent or cannot build.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v podman >/dev/null; then
	echo "deploy/test.sh: SKIP: podman is not installed (apt-get install podman)"
	exit 0
fi
if ! podman info >/dev/null 2>&1; then
	echo "deploy/test.sh: SKIP: podman refuses to work here: $(podman info 2>&1 | tail -1)"
	exit 0
fi
image=localhost/gocnn-serve-test:latest
bash deploy/build.sh -image "$image"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[ -n "${cid:-}" ] && podman rm -f "$cid" >/dev/null 2>&1 || true
	podman rmi -f "$image" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# What the image holds: its user, ports and entry point, and the binary.
user=$(podman image inspect --format '{{.Config.User}}' "$image")
entry=$(podman image inspect --format '{{.Config.Entrypoint}}' "$image")
[ "$user" = 65532:65532 ] || { echo "deploy/test.sh: FAIL: user $user" >&2; exit 1; }
echo "deploy/test.sh: image $image: user $user, entrypoint $entry, $(podman image inspect --format '{{.Size}}' "$image") bytes"
cid=$(podman create "$image")
podman cp "$cid:/serve" "$tmp/serve"
cmp "$tmp/serve" deploy/build/serve
# serve NAME ARGS...: start the binary from the image on a free port with
# ARGS, check /healthz, the metadata and a predict of zeros of model NAME,
# and stop it with SIGTERM.
serve() {
	local name=$1
	shift
	local model="$*"
	# The log exists before the server starts, so that reading it cannot
	# race the background job's redirection.
	: >"$tmp/$name.log"
	"$tmp/serve" -addr 127.0.0.1:0 "$@" 2>>"$tmp/$name.log" &
	local pid=$!
	pids+=("$pid")
	local addr=
	for _ in $(seq 100); do
		addr=$(sed -n 's/.*msg=listening addr=http:\/\/\([^ ]*\).*/\1/p' "$tmp/$name.log")
		[ -n "$addr" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$addr" ]; then
		echo "deploy/test.sh: FAIL: $model did not serve:" >&2
		cat "$tmp/$name.log" >&2
		exit 1
	fi
	/usr/bin/env python3 - "$addr" "$name" <<'PY'
import json, sys, urllib.request
addr, name = sys.argv[1], sys.argv[2]
base = "http://" + addr
ok = urllib.request.urlopen(base + "/healthz").read().decode().strip()
assert ok == "ok", "healthz: " + ok
meta = json.load(urllib.request.urlopen(base + "/v1/models/%s/metadata" % name))
dims = meta["metadata"]["inputs"]["input"]["shape"][1:]
outs = meta["metadata"]["outputs"]["output"]["shape"][1:]
def zeros(d):
    return [zeros(d[1:]) for _ in range(d[0])] if d else 0.0
body = json.dumps({"instances": [zeros(dims), zeros(dims)]}).encode()
req = urllib.request.Request(base + "/v1/models/%s:predict" % name, data=body, headers={"Content-Type": "application/json"})
pred = json.load(urllib.request.urlopen(req))["predictions"]
assert len(pred) == 2 and len(pred[0]) == outs[0] and pred[0] == pred[1], pred
print("deploy/test.sh: %s: input %s, predictions of zeros %s" % (name, dims, pred[0]))
PY
	kill -TERM "$pid"
	wait "$pid"
	echo "deploy/test.sh: $model: ok"
}
serve small -model model/testdata/small.gocnn
serve torch_activations -model onnx/testdata/torch_activations.onnx
# The image's own arguments: a folder of models laid out as TensorFlow
# Serving's, NAME/VERSION/model.gocnn.
mkdir -p "$tmp/models/small/1"
cp model/testdata/small.gocnn "$tmp/models/small/1/model.gocnn"
serve small -model-dir "$tmp/models"
echo "deploy/test.sh: PASS"
