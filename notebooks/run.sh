#!/usr/bin/env bash
# Executes the notebooks headless, with their Jupyter kernels, and reports
# PASS or FAIL for each with its run time: the GoNB notebooks in this folder
# and the gophernotes notebooks in gophernotes/. It exits non-zero if any
# cell of any notebook fails (a compile error, a panic, a non-zero exit, or
# a cell running past the timeout).
#
# It first installs what it needs, each step only when it is missing:
#   1. Debian's Jupyter (jupyter-nbconvert, jupyter-client) with apt-get,
#      and gcc for gophernotes, which compiles imports into Go plugins;
#   2. GoNB and goimports, built from the pinned versions in tools/go.mod
#      into a cache folder;
#   3. the "gonb" Jupyter kernel, pointed at that build;
#   4. the "gophernotes" kernel, built and installed by
#      gophernotes/install.sh (gophernotes v0.7.5 with our gomacro patch).
# So it needs Go, the Go module proxy and Debian's apt; nothing from PyPI.
#
# Usage: notebooks/run.sh [--kernel gonb|gophernotes|all] [--inplace]
#                         [--timeout SECONDS] [--setup-only] [NOTEBOOK...]
#
#   --kernel K     only the notebooks of kernel K, and set up only K
#                  (default all: both kernels)
#   --inplace      write the outputs back into the .ipynb files (to refresh
#                  the outputs that are committed); by default each notebook
#                  runs on a copy in a temporary folder and the tree is left
#                  as it was
#   --timeout S    per-cell timeout in seconds (default 600)
#   --setup-only   install the kernels and their tools, run nothing
#   NOTEBOOK...    run only these, paths relative to this folder; those in
#                  gophernotes/ with that kernel, the others with GoNB
#                  (default: every NN-*.ipynb here, then every
#                  gophernotes/NN-*.ipynb, in order)
#
# Environment: GOCNN_NOTEBOOK_CACHE is where gonb, goimports and gophernotes
# are built (default ${XDG_CACHE_HOME:-$HOME/.cache}/gocnn-notebooks).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
inplace=0
setup_only=0
timeout=600
kernel=all
notebooks=()
while [ $# -gt 0 ]; do
	case "$1" in
	--inplace) inplace=1 ;;
	--kernel)
		[ $# -ge 2 ] || { echo "run.sh: --kernel needs gonb, gophernotes or all" >&2; exit 2; }
		kernel=$2
		shift
		;;
	--kernel=*) kernel=${1#--kernel=} ;;
	--setup-only) setup_only=1 ;;
	--timeout)
		[ $# -ge 2 ] || { echo "run.sh: --timeout needs a number of seconds" >&2; exit 2; }
		timeout=$2
		shift
		;;
	--timeout=*) timeout=${1#--timeout=} ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	-*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) notebooks+=("$1") ;;
	esac
	shift
done
case "$timeout" in
'' | *[!0-9]*) echo "run.sh: --timeout wants whole seconds, got '$timeout'" >&2; exit 2 ;;
esac
case "$kernel" in
gonb | gophernotes | all) ;;
*) echo "run.sh: --kernel wants gonb, gophernotes or all, got '$kernel'" >&2; exit 2 ;;
esac

# The versions that tools/go.mod pins; the notebooks' setup cells pin
# gonbui, the kernel's display library, to the same version.
gonb_version=v0.11.4

cache=${GOCNN_NOTEBOOK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gocnn-notebooks}
bin=$cache/bin
export PATH="$bin:$PATH"
# Gorgonia's dependency go4.org/unsafe/assume-no-moving-gc refuses to run on
# a Go release newer than it knows unless told; the project's go.mod asks
# for a version that knows Go 1.26, this is a safety net for newer ones.
export ASSUME_NO_MOVING_GC_UNSAFE_RISK_IT_WITH=${ASSUME_NO_MOVING_GC_UNSAFE_RISK_IT_WITH:-$(go env GOVERSION | grep -o '^go[0-9]*\.[0-9]*')}
# GoNB resolves the repository through a go.work file in its scratch
# module: an outside GOWORK would override it and -mod=mod breaks workspace
# mode, so neither may leak into the kernel.
unset GOWORK
if [ -n "${GOFLAGS:-}" ]; then
	GOFLAGS=$(printf '%s\n' $GOFLAGS | grep -v -- '^-mod=' | tr '\n' ' ' | sed 's/ *$//') || true
	export GOFLAGS
fi

# Debian's Jupyter, run by Debian's Python whatever python3 is first on PATH.
jupyter=/usr/bin/jupyter
py=/usr/bin/python3

step() { printf '== %s\n' "$*"; }

# Which notebooks run, and so which kernels are needed: the notebooks in
# gophernotes/ run with gophernotes, the others with GoNB.
cd "$here"
if [ ${#notebooks[@]} -eq 0 ]; then
	[ "$kernel" = gophernotes ] || notebooks+=([0-9][0-9]-*.ipynb)
	[ "$kernel" = gonb ] || notebooks+=(gophernotes/[0-9][0-9]-*.ipynb)
fi
kernels=()
for nb in "${notebooks[@]}"; do
	[ -f "$nb" ] || { echo "run.sh: no notebook $nb" >&2; exit 2; }
	case "$(cd "$(dirname "$nb")" && pwd)" in
	"$here/gophernotes") k=gophernotes ;;
	*) k=gonb ;;
	esac
	[ "$kernel" = all ] || [ "$kernel" = "$k" ] || { echo "run.sh: $nb is a $k notebook, not $kernel" >&2; exit 2; }
	kernels+=("$k")
done
if [ "$setup_only" = 1 ]; then
	# --setup-only sets up what --kernel asks for.
	[ "$kernel" = gophernotes ] || kernels+=(gonb)
	[ "$kernel" = gonb ] || kernels+=(gophernotes)
fi
need() { [[ " ${kernels[*]} " == *" $1 "* ]]; }

# 1. Jupyter from Debian, and a C compiler for gophernotes' plugins.
packages=()
if ! [ -x "$jupyter" ] || ! "$jupyter" nbconvert --version >/dev/null 2>&1 ||
	! "$py" -c 'import jupyter_client, nbclient' >/dev/null 2>&1; then
	packages+=(jupyter-nbconvert jupyter-client)
fi
if need gophernotes && ! command -v "$(go env CC)" >/dev/null; then
	packages+=(gcc libc6-dev)
fi
if [ ${#packages[@]} -gt 0 ]; then
	step "installing from Debian: ${packages[*]}"
	sudo=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "run.sh: need root (or sudo) to apt-get install ${packages[*]}" >&2; exit 1; }
		sudo=sudo
	fi
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${packages[@]}" >/dev/null
fi

# 2. GoNB and goimports, rebuilt when tools/go.mod, tools/go.sum or the Go
# version change.
if need gonb; then
	stamp=$( (cat "$here/tools/go.mod" "$here/tools/go.sum"; go env GOVERSION) | sha256sum | cut -d' ' -f1)
	if ! [ -x "$bin/gonb" ] || ! [ -x "$bin/goimports" ] || [ "$(cat "$bin/.stamp" 2>/dev/null)" != "$stamp" ]; then
		step "building gonb $gonb_version and goimports into $bin"
		mkdir -p "$bin"
		(
			cd "$here/tools"
			export GOWORK=off
			go build -mod=readonly -o "$bin/gonb" github.com/janpfeifer/gonb
			go build -mod=readonly -o "$bin/goimports" golang.org/x/tools/cmd/goimports
		)
		echo "$stamp" >"$bin/.stamp"
	fi

	# 3. The Jupyter kernel. gonb --install writes kernels/gonb/kernel.json in
	# Jupyter's data folder with a copy of the binary; the kernel spec then
	# gets the cache folder on its PATH, since GoNB runs goimports on every
	# cell, so that the kernel also works from a "jupyter notebook" started
	# without that PATH.
	kernel_ok() {
		"$py" - "$bin" <<-'EOF'
			import filecmp, os, sys
			from jupyter_client.kernelspec import KernelSpecManager
			bin = sys.argv[1]
			try:
			    spec = KernelSpecManager().get_kernel_spec("gonb")
			except Exception:
			    sys.exit(1)
			exe = spec.argv[0]
			ok = (os.path.isfile(exe) and filecmp.cmp(exe, os.path.join(bin, "gonb"), shallow=False)
			      and bin in spec.env.get("PATH", "").split(":"))
			sys.exit(0 if ok else 1)
		EOF
	}
	if ! kernel_ok; then
		step "installing the gonb Jupyter kernel"
		"$bin/gonb" --install --force_copy --force_deps >/dev/null 2>&1 || "$bin/gonb" --install --force_copy --force_deps
		"$py" - "$bin" <<-'EOF'
			import json, os, sys
			from jupyter_client.kernelspec import KernelSpecManager
			bin = sys.argv[1]
			path = os.path.join(KernelSpecManager().get_kernel_spec("gonb").resource_dir, "kernel.json")
			with open(path) as f:
			    spec = json.load(f)
			env = spec.setdefault("env", {})
			env["PATH"] = bin + ":${PATH}"
			with open(path, "w") as f:
			    json.dump(spec, f, indent=1)
			print("kernel spec:", path)
		EOF
		kernel_ok || { echo "run.sh: the gonb kernel is still not installed as expected" >&2; exit 1; }
	fi
	echo "kernel gonb: github.com/janpfeifer/gonb $(go version -m "$bin/gonb" | awk '$1 == "mod" {print $3}'), tools in $bin"
fi

# 4. The gophernotes kernel: its own script builds it (once) and installs
# its kernel spec.
if need gophernotes; then
	bash "$here/gophernotes/install.sh"
fi
if [ "$setup_only" = 1 ]; then
	echo "setup done"
	exit 0
fi

# 5. Run the notebooks, each from its own folder. nbconvert runs with
# --allow-errors so that a failing notebook is still written out, with the
# compiler's or the panic's message in it; errors are then looked for in
# that copy. A timeout or a dead kernel makes nbconvert itself fail.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# cell_errors prints the first failing cell of a notebook with its output
# and exits 1, or exits 0 if no cell failed.
cell_errors() {
	"$py" - "$1" <<-'EOF'
		import html, json, re, sys
		nb = json.load(open(sys.argv[1]))
		failed = [(i, c) for i, c in enumerate(nb["cells"])
		          if c["cell_type"] == "code" and any(o["output_type"] == "error" for o in c.get("outputs", []))]
		if not failed:
		    sys.exit(0)
		i, cell = failed[0]
		src = "".join(cell["source"]).splitlines()
		print(f"{len(failed)} cell(s) failed; the first is cell {i}:")
		for line in src[:12]:
		    print("  | " + line)
		if len(src) > 12:
		    print("  | ...")
		text = []
		for o in cell["outputs"]:
		    if o["output_type"] == "stream":
		        text.append("".join(o["text"]))
		    elif o["output_type"] == "display_data" and "text/html" in o.get("data", {}):
		        # GoNB shows compiler errors as HTML.
		        h = "".join(o["data"]["text/html"])
		        h = re.sub(r"(?s)<style.*?</style>", "", h)
		        text.append(html.unescape(re.sub(r"<[^>]+>", "", h)))
		    elif o["output_type"] == "error":
		        text.append(o["ename"] + ": " + o["evalue"])
		lines = [l for l in "\n".join(text).splitlines() if l.strip()]
		for line in lines[-40:]:
		    print("  > " + line)
		sys.exit(1)
	EOF
}
passed=0
failed=0
for i in "${!notebooks[@]}"; do
	nb=${notebooks[$i]}
	k=${kernels[$i]}
	name=$(basename "$nb" .ipynb)
	dir=$(cd "$(dirname "$nb")" && pwd)
	out=$work/$k
	mkdir -p "$out"
	start=$(date +%s.%N)
	status=0
	(cd "$dir" && "$jupyter" nbconvert --to notebook --execute --allow-errors \
		--output-dir "$out" --output "$name" \
		--ExecutePreprocessor.timeout="$timeout" \
		--ExecutePreprocessor.kernel_name="$k" \
		--ExecutePreprocessor.record_timing=False \
		"$name.ipynb") >"$out/$name.log" 2>&1 || status=$?
	secs=$(echo "$start $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	if [ "$status" != 0 ]; then
		echo "FAIL $nb ($k) ${secs}s (nbconvert exit $status); the end of its log:"
		# Drop GoNB's own log lines; keep nbconvert's report.
		grep -v '^[IWE][0-9]\{4\} ' "$out/$name.log" | tail -n 30 | sed 's/^/    /'
		failed=$((failed + 1))
	elif ! report=$(cell_errors "$out/$name.ipynb"); then
		echo "FAIL $nb ($k) ${secs}s: $report" | sed '2,$s/^/    /'
		failed=$((failed + 1))
	else
		echo "PASS $nb ($k) ${secs}s"
		passed=$((passed + 1))
		if [ "$inplace" = 1 ]; then
			cp "$out/$name.ipynb" "$dir/$name.ipynb"
		fi
	fi
done
echo "notebooks: $passed passed, $failed failed"
[ "$failed" = 0 ]
