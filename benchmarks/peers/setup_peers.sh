#!/usr/bin/env bash
# Installs each benchmark peer (the framework that mxlite is compared against)
# into its own virtual environment, because their pins clash: MXNet 1.9.1 and
# Chainer 7.8.1 need numpy<1.24, JAX needs numpy>=2, and none of them may see
# mxlite.
#
#   bash benchmarks/peers/setup_peers.sh [--jax-version V] [torch] [jax] [mxnet] [chainer]
#
# With no peer named, all four. Each venv is ${MXLITE_BENCH_VENVS:-$HOME/.cache/mxlite-bench}/<peer>,
# made with $PYTHON (default python3, which must be 3.11 for the MXNet and
# Chainer pins). A venv whose import check already passes is left as it is; one
# that fails it is made anew. Peers install independently: one that fails does
# not stop the others. Each peer's pip output goes to <venvs>/<peer>.log. The
# last lines are one summary per peer ("ok ..." or "failed: reason"); the exit
# code is 1 if any peer failed, 2 for a bad command line.
#
# On a machine with an NVIDIA GPU (nvidia-smi lists one) torch and jax get
# their CUDA builds from the registry; otherwise torch is the CPU build.
set -uo pipefail

VENVS="${MXLITE_BENCH_VENVS:-$HOME/.cache/mxlite-bench}"
PYTHON="${PYTHON:-python3}"
ALL_PEERS=(torch jax mxnet chainer)
JAX_VERSION=""
peers=()

usage() {
    sed -n '2,18s/^# \{0,1\}//p' "$0"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
        --jax-version)
            [[ $# -ge 2 ]] || { echo "--jax-version needs a value" >&2; exit 2; }
            JAX_VERSION="$2"; shift 2 ;;
        --jax-version=*) JAX_VERSION="${1#*=}"; shift ;;
        torch | jax | mxnet | chainer) peers+=("$1"); shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (peers: ${ALL_PEERS[*]})" >&2; exit 2 ;;
    esac
done
[[ ${#peers[@]} -gt 0 ]] || peers=("${ALL_PEERS[@]}")

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    GPU=1
else
    GPU=0
fi

# The Python statement that proves a peer's venv works, printing its versions.
import_check() {
    case "$1" in
        torch) echo 'import numpy, torch; assert torch.__version__.split("+")[0] == "2.13.0", torch.__version__; print("torch", torch.__version__, "cuda", torch.version.cuda, "numpy", numpy.__version__)' ;;
        jax) echo "import jax, numpy, optax; v = '$JAX_VERSION'; assert not v or jax.__version__ == v, jax.__version__; print('jax', jax.__version__, 'optax', optax.__version__, 'numpy', numpy.__version__, 'backend', jax.default_backend())" ;;
        mxnet) echo 'import mxnet, numpy; assert mxnet.__version__ == "1.9.1", mxnet.__version__; print("mxnet", mxnet.__version__, "numpy", numpy.__version__)' ;;
        chainer) echo 'import chainer, numpy; assert chainer.__version__ == "7.8.1", chainer.__version__; print("chainer", chainer.__version__, "numpy", numpy.__version__)' ;;
    esac
}

# pip steps for one peer, run with the venv's pip; output goes to the log.
install_peer() {
    local pip=("$1/bin/python" -m pip install --no-input)
    case "$2" in
        torch)
            if [[ $GPU == 1 ]]; then
                # The local +cpu wheel would otherwise win as the "higher" version.
                "${pip[@]}" 'torch==2.13.0,!=2.13.0+cpu' numpy
            else
                "${pip[@]}" torch==2.13.0 numpy
            fi ;;
        jax)
            local jax=jax
            [[ $GPU == 1 ]] && jax="jax[cuda12]"
            [[ -n $JAX_VERSION ]] && jax="$jax==$JAX_VERSION"
            "${pip[@]}" "$jax" optax numpy ;;
        mxnet)
            "${pip[@]}" mxnet==1.9.1 'numpy<1.24' ;;
        chainer)
            # Chainer 7.8.1 is an sdist whose setup.py needs pkg_resources
            # (setuptools<70) and must build against the venv's numpy<1.24.
            "${pip[@]}" 'setuptools<70' wheel 'numpy<1.24' &&
                "${pip[@]}" --no-build-isolation chainer==7.8.1 ;;
    esac
}

# The most telling line of a failed step's log: pip's last ERROR, else its last line.
reason_from_log() {
    local line
    line=$(grep -E '^(ERROR|error):' "$1" | tail -n 1)
    [[ -n $line ]] || line=$(grep -v '^[[:space:]]*$' "$1" | tail -n 1)
    echo "${line:0:300}"
}

declare -A summary
mkdir -p "$VENVS"
for peer in "${peers[@]}"; do
    venv="$VENVS/$peer"
    log="$VENVS/$peer.log"
    check=$(import_check "$peer")
    start=$SECONDS
    echo "== $peer: $venv" >&2
    if [[ -x $venv/bin/python ]] && versions=$("$venv/bin/python" -c "$check" 2>/dev/null); then
        summary[$peer]="ok (already installed: $versions)"
        continue
    fi
    rm -rf "$venv"
    : >"$log"
    if ! "$PYTHON" -m venv "$venv" >>"$log" 2>&1; then
        summary[$peer]="failed: could not create the venv with $PYTHON: $(reason_from_log "$log")"
        continue
    fi
    if ! install_peer "$venv" "$peer" >>"$log" 2>&1; then
        summary[$peer]="failed: pip: $(reason_from_log "$log") (log: $log)"
        continue
    fi
    if ! versions=$("$venv/bin/python" -c "$check" 2>>"$log"); then
        summary[$peer]="failed: import check: $(reason_from_log "$log") (log: $log)"
        continue
    fi
    summary[$peer]="ok ($versions; installed in $((SECONDS - start)) s)"
done

status=0
for peer in "${peers[@]}"; do
    echo "$peer: ${summary[$peer]}"
    [[ ${summary[$peer]} == ok* ]] || status=1
done
exit "$status"
