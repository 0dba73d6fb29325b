"""Apache MXNet 1.9.1 contender: the workloads written as MXNet's users train them.

As MXNet's MNIST tutorial and MXNet.jl's MNIST notebook do: an
``mx.sym`` graph (``FullyConnected``, ``Activation``, ``Convolution``,
``Pooling``, ``SoftmaxOutput``), ``mx.io.NDArrayIter(shuffle=True)`` over the
images in memory, and ``mx.mod.Module(...).fit(...)`` with its default
accuracy metric and ``mx.callback.Speedometer(batch, 100)`` logging every 100
batches. No validation during fit (the test accuracy is ``mod.score`` after the
last round, untimed).

A round is one ``fit`` epoch, timed from one ``epoch_end_callback`` to the next
after ``mx.nd.waitall()``; round 0 starts just before ``fit``, so it carries
``bind``, ``init_params`` and ``init_optimizer``. The shuffle that
``NDArrayIter.reset`` does at the end of an epoch falls in the next round.
mocha_lenet (937 batches of 64 a round) uses ``last_batch_handle='discard'``
over all 60,000 images: a fresh permutation every round, the 32 left over
dropped. Its Mocha "inv" schedule is an ``LRScheduler`` subclass, the biases'
2x learning rate an ``lr_mult`` on their variables.

CPU only (MXNet's OpenMP threads come from OMP_NUM_THREADS, set to the
affinity's size if unset). Runs in its own virtual environment: imports mxnet,
numpy, the standard library and ``_common`` only.
"""

from __future__ import annotations

import logging
import os
import sys

# MXNet reads this when it loads; unset, it would use half the cores.
os.environ.setdefault("OMP_NUM_THREADS", str(len(os.sched_getaffinity(0))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import mxnet as mx
import numpy as np

LOG_EVERY = 100
EVAL_BATCH = 100  # divides the 10,000 test images: no padded batch in score


class MochaInv(mx.lr_scheduler.LRScheduler):
    """Mocha's LRPolicy.Inv: lr = base * (1 + gamma * t) ** -power, t = update count.

    MXNet's optimizer calls it with its 1-based update count before each update.
    """

    def __init__(self, w: dict) -> None:
        super().__init__(base_lr=w["lr"])
        self.w = w

    def __call__(self, num_update: int) -> float:
        return _common.mocha_lr(self.w, num_update)


def _bias(name: str, w: dict) -> mx.sym.Symbol:
    """The layer's bias variable with the workload's optimizer attributes.

    MXNet's optimizers skip weight decay on parameters not named ``*_weight``
    (``wd_mult`` 0); the "sgd" workloads decay every parameter, so their biases
    say ``wd_mult=1``. Mocha's biases learn at ``bias_lr_mult`` x lr, undecayed.
    """
    if w["optimizer"] == "sgd_inv":
        return mx.sym.var(name + "_bias", lr_mult=w["bias_lr_mult"], wd_mult=0.0)
    if w["optimizer"] == "sgd" and w["wd"]:
        return mx.sym.var(name + "_bias", wd_mult=1.0)
    return mx.sym.var(name + "_bias")


def _act(x: mx.sym.Symbol, act: str) -> mx.sym.Symbol:
    """``Activation`` of ``act`` ("identity": none)."""
    return x if act == "identity" else mx.sym.Activation(data=x, act_type=act)


def _fc(x: mx.sym.Symbol, num_hidden: int, name: str, w: dict) -> mx.sym.Symbol:
    return mx.sym.FullyConnected(data=x, num_hidden=num_hidden, name=name,
                                 bias=_bias(name, w))


def build_symbol(w: dict) -> mx.sym.Symbol:
    """The workload's MLP or LeNet ending in ``SoftmaxOutput`` (softmax + CE)."""
    data = mx.sym.var("data")
    if w["model"] == "mlp":
        x = mx.sym.flatten(data=data)
        for i, hidden in enumerate(w["hidden"], 1):
            x = _act(_fc(x, hidden, f"fc{i}", w), w["act"])
        x = _fc(x, 10, f"fc{len(w['hidden']) + 1}", w)
    else:
        x = data
        for i, filters in enumerate((20, 50), 1):
            x = mx.sym.Convolution(data=x, kernel=(5, 5), num_filter=filters,
                                   name=f"conv{i}", bias=_bias(f"conv{i}", w))
            x = mx.sym.Pooling(data=_act(x, w["act"]), pool_type="max", kernel=(2, 2),
                               stride=(2, 2))
        x = _act(_fc(mx.sym.flatten(data=x), 500, "fc1", w), w["fc_act"])
        x = _fc(x, 10, "fc2", w)
    return mx.sym.SoftmaxOutput(data=x, name="softmax")


def optimizer_args(w: dict) -> tuple[str, dict]:
    """``fit``'s optimizer name and params (``Module`` adds rescale_grad=1/batch)."""
    if w["optimizer"] == "adam":
        return "adam", {"learning_rate": w["lr"], "beta1": 0.9, "beta2": 0.999,
                        "epsilon": 1e-8}
    if w["optimizer"] == "sgd":
        return "sgd", {"learning_rate": w["lr"], "momentum": w["momentum"],
                       "wd": w["wd"]}
    return "sgd", {"learning_rate": w["lr"], "momentum": w["momentum"],
                   "wd": 2 * w["l2"], "lr_scheduler": MochaInv(w)}


def initializer(w: dict) -> mx.init.Initializer:
    """Weights as the workload says; every MXNet initializer zeroes ``*_bias``.

    "framework" is ``fit``'s own default, Uniform(0.01).
    """
    return mx.init.Xavier() if w["init"] == "xavier" else mx.init.Uniform(0.01)


def main() -> int:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    if (code := _common.only_default_on_cpu("mxnet_mnist", args)) is not None:
        return code
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    w = _common.WORKLOADS[args.workload]
    threads = int(os.environ["OMP_NUM_THREADS"])
    mx.random.seed(args.seed)
    np.random.seed(args.seed)  # NDArrayIter shuffles with numpy

    train_x, train_y, test_x, test_y = _common.load_mnist(args.workload)
    train_iter = mx.io.NDArrayIter(train_x, train_y.astype(np.float32), w["batch"],
                                   shuffle=True, last_batch_handle="discard")
    mod = mx.mod.Module(symbol=build_symbol(w), context=mx.cpu())
    optimizer, optimizer_params = optimizer_args(w)

    epoch_times: list[float] = []
    batches: list[int] = []
    marks = [_common.now()]

    def count_batches(param: mx.model.BatchEndParam) -> None:
        if len(batches) <= param.epoch:
            batches.append(0)
        batches[param.epoch] += 1

    def end_of_round(epoch: int, symbol, arg_params, aux_params) -> None:
        mx.nd.waitall()
        marks.append(_common.now())
        epoch_times.append(marks[-1] - marks[-2])

    mod.fit(train_iter, optimizer=optimizer, optimizer_params=optimizer_params,
            initializer=initializer(w),
            batch_end_callback=[mx.callback.Speedometer(w["batch"], LOG_EVERY),
                                count_batches],
            epoch_end_callback=end_of_round, num_epoch=args.epochs)
    expected = _common.batches_per_round(args.workload)
    if any(n != expected for n in batches):
        print(f"mxnet_mnist: rounds ran {batches} batches, not {expected}",
              file=sys.stderr)
        return 1

    test_iter = mx.io.NDArrayIter(test_x, test_y.astype(np.float32), EVAL_BATCH)
    accuracy = dict(mod.score(test_iter, mx.metric.Accuracy()))["accuracy"]
    _common.emit("mxnet", args, epoch_times, accuracy, {"mxnet": mx.__version__},
                 extra={"threads": threads})
    return 0


if __name__ == "__main__":
    sys.exit(main())
