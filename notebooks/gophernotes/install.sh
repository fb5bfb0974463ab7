#!/usr/bin/env bash
# Builds the gophernotes Jupyter kernel so that it runs on this Go, and
# installs its kernel spec, named "gophernotes".
#
# gophernotes v0.7.5, its last release, dies at start-up on Go 1.26:
# gomacro, the interpreter inside it, predates generics and explicit
# aliases, which the standard library now uses. So this script
#   1. downloads gophernotes v0.7.5 from the Go module proxy, and gomacro at
#      the version gophernotes pins (checked against gophernotes' go.sum);
#   2. copies both into a build folder, since the module cache is read-only;
#      applies gomacro.patch (our patch, see its header) to gomacro; and
#      gives gophernotes kernel.mod and kernel.sum as its go.mod and go.sum,
#      which move golang.org/x/tools from v0.1.8 to v0.39.0 and point
#      gomacro at the patched copy;
#   3. builds the kernel into $GOCNN_NOTEBOOK_CACHE/gophernotes/bin;
#   4. installs the kernel spec with "jupyter kernelspec install --user".
# Steps 1 to 3 run again only when this script, the patch, kernel.mod,
# kernel.sum, the Go version or GOFLAGS change; step 4 only when the spec
# differs. So running the script again is harmless and quick.
#
# The kernel needs at run time the Go toolchain that built it, and gcc:
# an import in a cell compiles the package into a Go plugin (cgo). The
# kernel spec puts that Go first on PATH and sets CGO_ENABLED=1.
#
# Usage: notebooks/gophernotes/install.sh [--force]
#   --force   rebuild and reinstall even if nothing changed
#
# Environment: GOCNN_NOTEBOOK_CACHE (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/gocnn-notebooks), as for notebooks/run.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
force=0
case "${1:-}" in
'') ;;
--force) force=1 ;;
-h | --help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 0
	;;
*) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

gophernotes_version=v0.7.5
jupyter=/usr/bin/jupyter

cache=${GOCNN_NOTEBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gocnn-notebooks}/gophernotes
bin=$cache/bin/gophernotes
step() { printf '== %s\n' "$*"; }

command -v go >/dev/null || { echo "install.sh: no go on PATH" >&2; exit 1; }
command -v git >/dev/null || { echo "install.sh: git is needed to apply gomacro.patch" >&2; exit 1; }
# A workspace or a -mod flag from outside would change how the kernel and,
# later, its plugins are built.
export GOWORK=off
if [ -n "${GOFLAGS:-}" ]; then
	GOFLAGS=$(printf '%s\n' $GOFLAGS | grep -v -- '^-mod=' | tr '\n' ' ' | sed 's/ *$//') || true
	export GOFLAGS
fi
goroot=$(go env GOROOT)

# 1-3. Download, patch and build, unless the stamp says it is done. A
# plugin must be built by the same Go, with the same flags, as the kernel
# that loads it, hence the Go version and GOFLAGS in the stamp.
stamp=$( (cat "$here/install.sh" "$here/gomacro.patch" "$here/kernel.mod" "$here/kernel.sum"
	go env GOVERSION GOFLAGS) | sha256sum | cut -d' ' -f1)
if [ "$force" = 1 ] || ! [ -x "$bin" ] || [ "$(cat "$cache/.stamp" 2>/dev/null)" != "$stamp" ]; then
	step "building gophernotes $gophernotes_version with patched gomacro into $cache"
	mkdir -p "$cache"
	build=$(mktemp -d "$cache/build.XXXXXX")
	trap 'rm -rf "$build"' EXIT
	# gophernotes itself: "go install ...@v0.7.5" asks the proxy for the
	# module's version list, which some proxies refuse; a download of the
	# exact version does not.
	dir=$(cd "$build" && go mod download -json "github.com/gopherdata/gophernotes@$gophernotes_version" |
		sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || { echo "install.sh: could not download gophernotes $gophernotes_version" >&2; exit 1; }
	cp -R "$dir" "$build/gophernotes"
	chmod -R u+w "$build/gophernotes"
	# gomacro, at the version gophernotes' go.mod pins; from inside the
	# module, so that go.sum vouches for it (the checksum database does not
	# know this pseudo-version).
	dir=$(cd "$build/gophernotes" && go mod download -json github.com/cosmos72/gomacro |
		sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || { echo "install.sh: could not download gomacro" >&2; exit 1; }
	cp -R "$dir" "$build/gomacro"
	chmod -R u+w "$build/gomacro"
	# An empty git repository of its own, so that git apply takes paths
	# relative to it whatever repository the cache folder may be in.
	(cd "$build/gomacro" && git init -q && git apply --whitespace=nowarn "$here/gomacro.patch")
	grep -v '^//' "$here/kernel.mod" >"$build/gophernotes/go.mod"
	cp "$here/kernel.sum" "$build/gophernotes/go.sum"
	mkdir -p "$cache/bin"
	(cd "$build/gophernotes" && go build -mod=readonly -o "$bin.new" .)
	mv "$bin.new" "$bin"
	# Keep the patched sources next to the binary, for reading and debugging.
	rm -rf "$cache/src"
	mkdir -p "$cache/src"
	mv "$build/gophernotes" "$build/gomacro" "$cache/src/"
	cp "$cache/src/gophernotes/kernel/"logo-*.png "$cache/"
	echo "$stamp" >"$cache/.stamp"
fi

# 4. The kernel spec. Jupyter substitutes ${PATH} in a spec's env.
[ -x "$jupyter" ] || { echo "install.sh: $jupyter is missing: run notebooks/run.sh --setup-only, or apt-get install jupyter-client" >&2; exit 1; }
spec=$(mktemp -d)
trap 'rm -rf "$spec" "${build:-}"' EXIT
cat >"$spec/kernel.json" <<EOF
{
 "argv": ["$bin", "{connection_file}"],
 "display_name": "Go (gophernotes)",
 "language": "go",
 "env": {
  "PATH": "$goroot/bin:\${PATH}",
  "CGO_ENABLED": "1",
  "GOFLAGS": "${GOFLAGS:-}",
  "GOWORK": "off"
 }
}
EOF
cp "$cache/"logo-*.png "$spec/"
installed=$("$jupyter" kernelspec list --json 2>/dev/null |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["kernelspecs"].get("gophernotes", {}).get("resource_dir", ""))')
if [ "$force" = 1 ] || [ -z "$installed" ] || ! cmp -s "$spec/kernel.json" "$installed/kernel.json"; then
	step "installing the gophernotes Jupyter kernel"
	"$jupyter" kernelspec install --user --replace --name gophernotes "$spec" 2>&1 | grep -v WARNING || true
	installed=$("$jupyter" kernelspec list --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["kernelspecs"].get("gophernotes", {}).get("resource_dir", ""))')
	cmp -s "$spec/kernel.json" "$installed/kernel.json" ||
		{ echo "install.sh: the gophernotes kernel spec is still not installed as expected" >&2; exit 1; }
fi
echo "kernel gophernotes: $bin (gophernotes $gophernotes_version, $(go version -m "$bin" | awk '$1 == "dep" && $2 == "golang.org/x/tools" {print $2, $3}'), patched gomacro)"
