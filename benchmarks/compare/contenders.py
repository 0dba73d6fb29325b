"""Who competes: each contender's script, variant, interpreter and environment."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR = REPO / "benchmarks" / "peers"
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
PEER_KEYS = ("torch", "jax", "mxnet", "chainer")


@dataclass(frozen=True)
class Contender:
    """One column of the comparison: a peer script run with one variant."""

    name: str
    peer: str  # "mxlite" or one of PEER_KEYS: picks the interpreter
    variant: str
    imports: str  # what the interpreter must import for the run to make sense
    gpu: bool = False  # takes part with --device gpu
    lenet_only: bool = False
    workloads: tuple[str, ...] = ()  # the only workloads it runs (empty: every one)
    default: bool = True  # runs when --contenders is not given
    # Whose script it runs, where not the peer's own: "chainer" for
    # mxlite-chainer, which is benchmarks/peers/chainer_mnist.py run on mxlite.
    script_of: str = ""

    @property
    def script(self) -> Path:
        return PEERS_DIR / f"{self.script_of or self.peer}_mnist.py"


CONTENDERS: tuple[Contender, ...] = (
    Contender("mxlite", "mxlite", "default", "mxlite", gpu=True),
    Contender("torch-eager", "torch", "eager", "torch", gpu=True),
    Contender("torch-channels_last", "torch", "channels_last", "torch",
              lenet_only=True),
    Contender("torch-compile", "torch", "compile", "torch", gpu=True),
    Contender("jax-optax", "jax", "default", "jax, optax", gpu=True),
    Contender("mxnet", "mxnet", "default", "mxnet"),
    Contender("chainer", "chainer", "default", "chainer"),
    # The very same Chainer script on mxlite.chainer: its variant "mxlite"
    # changes only its imports (import mxlite.chainer as chainer, ...), and it
    # runs as mxlite does, on this interpreter with src/ on PYTHONPATH.
    Contender("mxlite-chainer", "mxlite", "mxlite", "mxlite.chainer",
              script_of="chainer"),
    # Mocha.jl's LeNet tutorial's own loop on mxlite.mocha
    # (benchmarks/peers/mocha_mnist.py): Net, SGD and solve with the
    # TrainingSummary coffee break every 100 iterations; Mocha's workload
    # only, as mxlite does.
    Contender("mxlite-mocha", "mxlite", "default", "mxlite.mocha", script_of="mocha",
              workloads=("mocha_lenet",)),
    # mxlite at another checkout (MXLITE_BENCH_BASE_SRC=<checkout>/src): the
    # before/after of a refactor, side by side in one run.
    Contender("mxlite-base", "mxlite", "default", "mxlite", gpu=True, default=False),
    # mxlite with the non-finite guard off (fit(..., nan_check=False)): the
    # guard's cost is mxlite over mxlite-nocheck in the same run.
    Contender("mxlite-nocheck", "mxlite", "nan_check_off", "mxlite", gpu=True,
              default=False),
)
BY_NAME = {c.name: c for c in CONTENDERS}


def applies(contender: Contender, model: str, workload: str) -> bool:
    """Whether ``contender`` runs ``workload``, whose model is ``model``."""
    if contender.workloads and workload not in contender.workloads:
        return False
    return model == "lenet" or not contender.lenet_only


def default_python(peer: str) -> str:
    """The interpreter benchmarks/peers/setup_peers.sh creates for ``peer``."""
    root = os.environ.get("MXLITE_BENCH_VENVS") or Path.home() / ".cache/mxlite-bench"
    return str(Path(root) / peer / "bin" / "python")


def python_for(contender: Contender, overrides: dict[str, str]) -> str:
    """mxlite runs on this interpreter; a peer on its override or its venv."""
    if contender.peer == "mxlite":
        return sys.executable
    return overrides.get(contender.peer) or default_python(contender.peer)


def cache_names() -> tuple[str, ...]:
    """The per-invocation cache directories ``run_env`` hands out: one per
    mxlite contender (its compilation cache), and PyTorch's two."""
    return (*(c.name for c in CONTENDERS if c.peer == "mxlite"), "torchinductor",
            "triton")


def run_env(base: dict[str, str], contender: Contender, threads: int,
            caches: dict[str, str]) -> dict[str, str]:
    """The environment of one run.

    Every contender gets the thread variables set to the pinned CPU count and
    no inherited PYTHONPATH (a peer must not see mxlite). Each mxlite
    contender (mxlite, mxlite-chainer, mxlite-mocha, mxlite-base) gets ``PYTHONPATH=<repo>/src``
    (mxlite-base: its own checkout's) and a compilation cache directory of its
    own; PyTorch gets fresh Inductor/Triton cache directories, so that
    ``torch.compile`` also starts cold in repeat 1 instead of reusing an earlier
    invocation's cache.
    """
    env = {k: v for k, v in base.items() if k != "PYTHONPATH"}
    env.update({var: str(threads) for var in THREAD_VARS})
    if contender.peer == "mxlite":
        src = str(REPO / "src")
        if contender.name == "mxlite-base":
            src = base.get("MXLITE_BENCH_BASE_SRC") or src
        env["PYTHONPATH"] = src
        env["MXLITE_COMPILATION_CACHE"] = caches[contender.name]
    elif contender.peer == "torch":
        env["TORCHINDUCTOR_CACHE_DIR"] = caches["torchinductor"]
        env["TRITON_CACHE_DIR"] = caches["triton"]
    return env
