#!/usr/bin/env bash
# Builds cmd/serve as a static binary (CGO_ENABLED=0) into deploy/build/serve,
# and, with -image [NAME], the container image of deploy/Containerfile
# (FROM scratch: the binary alone) with podman. There is no registry to pull
# a Go builder image from, so the binary is built here, on the host.
set -euo pipefail
cd "$(dirname "$0")/.."
image=
if [ "${1:-}" = -image ]; then
	image=${2:-gocnn-serve:latest}
fi
mkdir -p deploy/build
CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o deploy/build/serve ./cmd/serve
echo "deploy/build.sh: deploy/build/serve ($(stat -c %s deploy/build/serve) bytes)"
if [ -n "$image" ]; then
	podman build -q -t "$image" -f deploy/Containerfile deploy
	echo "deploy/build.sh: image $image"
fi
