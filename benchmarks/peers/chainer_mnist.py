"""Chainer 7.8.1 contender: the workloads written as Chainer's users train them.

As Chainer's MNIST tutorial (``train_mnist_1_minimum.py``) does, without
Trainer/Iterator: a ``chainer.Chain`` of ``L.Linear`` layers
(``L.Convolution2D`` and ``F.max_pooling_2d`` for LeNet) wrapped in a
classifier Chain that computes ``F.softmax_cross_entropy`` and
``F.accuracy``, an optimizer ``setup(model)``, and a loop over
``np.random.permutation`` minibatches calling ``optimizer.update(model, x,
t)`` and summing the batch loss and accuracy (printed every 100 batches).

Optimizers: ``optimizers.Adam()``; ``optimizers.SGD`` / ``MomentumSGD`` with
a ``WeightDecay`` hook on every parameter (it adds rate * W to the gradient,
as MXNet's wd does); for Mocha's "inv" policy, ``MomentumSGD`` whose ``lr`` is
set before every update, the biases' update rules at ``bias_lr_mult`` x lr and
the ``WeightDecay`` hook on the weights' update rules only.

As in the tutorial, the MLP's layers are ``L.Linear(None, n)`` (sized at the
first batch), the MLP workloads' images are flat 784-vectors (as
``chainer.datasets.get_mnist()`` gives them) and each batch is wrapped in
``chainer.Variable`` before ``optimizer.update``; the batch's loss and
accuracy are read to the host every batch (``float(model.loss.array)``).

Variants: ``default``, real Chainer; ``mxlite``, the very same code on
mxlite's Chainer API: the only difference is the imports (``import
mxlite.chainer as chainer``, its ``functions as F`` and ``links as L``, ``from
mxlite.chainer import initializers, optimizer_hooks, optimizers``), run with
mxlite's interpreter and ``src/`` (the ``mxlite-chainer`` contender).

CPU only: Chainer on the CPU is NumPy, whose BLAS threads come from
OPENBLAS_NUM_THREADS (set to the affinity's size if unset); no device sync is
needed. Runs in its own virtual environment: imports chainer (or, variant
``mxlite``, mxlite.chainer), numpy, the standard library and ``_common`` only.
"""

from __future__ import annotations

import argparse
import os
import sys

# NumPy's OpenBLAS reads this when it loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(len(os.sched_getaffinity(0))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import numpy as np

VARIANTS = ("default", "mxlite")
# The variant picks the Chainer the script imports; nothing else depends on it.
_pre = argparse.ArgumentParser(add_help=False)
_pre.add_argument("--variant", default="default")
VARIANT = _pre.parse_known_args()[0].variant
if VARIANT == "mxlite":
    # (``from mxlite.chainer import functions as F`` is ``import
    # mxlite.chainer.functions as F``, in a form whose import order does not
    # change for ruff when mxlite/chainer/functions.py appears.)
    import jax  # loaded by mxlite.chainer anyway; only its version is read

    import mxlite
    import mxlite.chainer as chainer
    from mxlite.chainer import functions as F
    from mxlite.chainer import initializers, optimizer_hooks, optimizers
    from mxlite.chainer import links as L
else:
    import chainer
    import chainer.functions as F
    import chainer.links as L
    from chainer import initializers, optimizer_hooks, optimizers

LOG_EVERY = 100
EVAL_BATCH = 1000
ACTS = {"relu": F.relu, "tanh": F.tanh, "identity": lambda h: h}


def _init_w(w: dict) -> chainer.Initializer | None:
    """The weights' initializer (None: Chainer's default, LeCunNormal); biases are 0."""
    return {"uniform0.01": initializers.Uniform(0.01),
            "xavier": initializers.GlorotUniform(),
            "framework": None}[w["init"]]


class MLP(chainer.Chain):
    """784 -> hidden... (act) -> 10, as ``train_mnist_1_minimum.py``'s MLP:
    ``L.Linear(None, n)``, each layer's input size taken from its first input."""

    def __init__(self, w: dict) -> None:
        super().__init__()
        self.act = ACTS[w["act"]]
        sizes = (*w["hidden"], 10)
        with self.init_scope():
            for i, size in enumerate(sizes, 1):
                setattr(self, f"l{i}", L.Linear(None, size, initialW=_init_w(w)))
        self.n_layers = len(sizes)

    def forward(self, x: chainer.Variable) -> chainer.Variable:
        h = x
        for i in range(1, self.n_layers):
            h = self.act(self[f"l{i}"](h))
        return self[f"l{self.n_layers}"](h)


class LeNet(chainer.Chain):
    """conv 5x5 20 -> act -> max-pool 2/2 -> conv 5x5 50 -> act -> max-pool 2/2
    -> fc 500 -> fc_act -> fc 10."""

    def __init__(self, w: dict) -> None:
        super().__init__()
        self.act, self.fc_act = ACTS[w["act"]], ACTS[w["fc_act"]]
        with self.init_scope():
            self.conv1 = L.Convolution2D(1, 20, 5, initialW=_init_w(w))
            self.conv2 = L.Convolution2D(20, 50, 5, initialW=_init_w(w))
            self.fc1 = L.Linear(800, 500, initialW=_init_w(w))
            self.fc2 = L.Linear(500, 10, initialW=_init_w(w))

    def forward(self, x: chainer.Variable) -> chainer.Variable:
        h = F.max_pooling_2d(self.act(self.conv1(x)), ksize=2, stride=2)
        h = F.max_pooling_2d(self.act(self.conv2(h)), ksize=2, stride=2)
        return self.fc2(self.fc_act(self.fc1(h)))


class SoftmaxClassifier(chainer.Chain):
    """The tutorial's loss Chain: softmax cross-entropy (mean), accuracy of a batch."""

    def __init__(self, predictor: chainer.Chain) -> None:
        super().__init__()
        with self.init_scope():
            self.predictor = predictor

    def forward(self, x: np.ndarray, t: np.ndarray) -> chainer.Variable:
        y = self.predictor(x)
        self.loss = F.softmax_cross_entropy(y, t)
        self.accuracy = F.accuracy(y, t)
        return self.loss


def build_optimizer(w: dict, model: chainer.Chain) -> tuple[chainer.Optimizer, list]:
    """(optimizer set up on ``model``, bias update rules whose lr follows Mocha's
    schedule at ``bias_lr_mult`` x; empty unless "sgd_inv")."""
    if w["optimizer"] == "adam":
        opt = optimizers.Adam(alpha=w["lr"], beta1=0.9, beta2=0.999, eps=1e-8)
        opt.setup(model)
        return opt, []
    if w["optimizer"] == "sgd":
        opt = (optimizers.MomentumSGD(lr=w["lr"], momentum=w["momentum"])
               if w["momentum"] else optimizers.SGD(lr=w["lr"]))
        opt.setup(model)
        if w["wd"]:
            opt.add_hook(optimizer_hooks.WeightDecay(w["wd"]))
        return opt, []
    opt = optimizers.MomentumSGD(lr=w["lr"], momentum=w["momentum"])
    opt.setup(model)
    bias_rules = []
    for name, param in model.namedparams():
        if name.endswith("/b"):
            bias_rules.append(param.update_rule)
        else:
            param.update_rule.add_hook(optimizer_hooks.WeightDecay(2 * w["l2"]))
    return opt, bias_rules


def train_round(model: SoftmaxClassifier, opt: chainer.Optimizer, bias_rules: list,
                w: dict, x: np.ndarray, t: np.ndarray, batches: int) -> None:
    """One timed round of ``batches`` minibatches from a fresh permutation."""
    batch = w["batch"]
    perm = np.random.permutation(len(x))
    sum_loss = sum_accuracy = 0.0
    for i in range(batches):
        idx = perm[i * batch:(i + 1) * batch]
        if w["optimizer"] == "sgd_inv":
            opt.lr = _common.mocha_lr(w, opt.t + 1)
            for rule in bias_rules:
                rule.hyperparam.lr = w["bias_lr_mult"] * opt.lr
        opt.update(model, chainer.Variable(x[idx]), chainer.Variable(t[idx]))
        sum_loss += float(model.loss.array) * batch
        sum_accuracy += float(model.accuracy.array) * batch
        if (i + 1) % LOG_EVERY == 0:
            seen = (i + 1) * batch
            print(f"batch {i + 1}/{batches} mean loss={sum_loss / seen:.4f}, "
                  f"accuracy={sum_accuracy / seen:.4f}", file=sys.stderr)


def test_accuracy(predictor: chainer.Chain, x: np.ndarray, t: np.ndarray) -> float:
    """Fraction of test images classified right (test mode, no graph)."""
    correct = 0
    with chainer.using_config("train", False), chainer.no_backprop_mode():
        for start in range(0, len(x), EVAL_BATCH):
            y = predictor(x[start:start + EVAL_BATCH]).array
            correct += int((y.argmax(axis=1) == t[start:start + EVAL_BATCH]).sum())
    return correct / len(x)


def contender_versions() -> tuple[str, dict, dict]:
    """(the RESULT's contender name, the versions it records, extra fields)."""
    if VARIANT != "mxlite":
        return "chainer", {"chainer": chainer.__version__}, {}
    return ("mxlite-chainer",
            {"mxlite": mxlite.__version__, "jax": jax.__version__,
             "chainer_api": getattr(chainer, "__version__", "")},
            {"compilation_cache": os.environ.get("MXLITE_COMPILATION_CACHE")})


def main() -> int:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    if args.variant not in VARIANTS:
        print(f"chainer_mnist: unknown variant {args.variant!r}; one of {VARIANTS}",
              file=sys.stderr)
        return 2
    if args.device == "gpu":
        print("chainer_mnist: runs CPU only in this benchmark (no --device gpu)",
              file=sys.stderr)
        return 3
    w = _common.WORKLOADS[args.workload]
    threads = int(os.environ["OPENBLAS_NUM_THREADS"])
    np.random.seed(args.seed)  # Chainer's initializers and the permutations

    train_x, train_y, test_x, test_y = _common.load_mnist(args.workload)
    if w["model"] == "mlp":  # get_mnist()'s flat vectors
        train_x, test_x = train_x.reshape(len(train_x), -1), test_x.reshape(len(test_x), -1)
    predictor = MLP(w) if w["model"] == "mlp" else LeNet(w)
    model = SoftmaxClassifier(predictor)
    opt, bias_rules = build_optimizer(w, model)

    epoch_times = []
    for _ in range(args.epochs):
        start = _common.now()
        train_round(model, opt, bias_rules, w, train_x, train_y,
                    _common.batches_per_round(args.workload))
        epoch_times.append(_common.now() - start)

    accuracy = test_accuracy(predictor, test_x, test_y)
    name, versions, extra = contender_versions()
    _common.emit(name, args, epoch_times, accuracy, versions,
                 extra={"threads": threads, **extra})
    return 0


if __name__ == "__main__":
    sys.exit(main())
