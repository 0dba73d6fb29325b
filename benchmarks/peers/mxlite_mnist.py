"""mxlite contender: the tutorials' training code as an MXNet user writes it.

``Module.fit`` on an ``NDArrayIter`` (shuffled), ``Speedometer(batch, 100)``,
and an epoch-end callback that stamps the clock: nothing here is special to
the benchmark; it is MXNet's MNIST tutorial code with ``import mxlite as
mx``. The MLP of MXNet.jl's MNIST tutorial runs through the same Module
(``mxlite.jl``'s FeedForward is a thin holder over it), written here in MXNet
Python's API.
The Chainer and Mocha workloads use the same MXNet-style API with their
models, optimizers and schedules (the dialects' own loops are the
mxlite-chainer and mxlite-mocha contenders: chainer_mnist.py --variant
mxlite and mocha_mnist.py).
"""

from __future__ import annotations

import itertools
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import jax

import mxlite as mx


def mlp(w: dict) -> mx.sym.Symbol:
    net = mx.sym.flatten(data=mx.sym.var("data"))
    for i, units in enumerate(w["hidden"], 1):
        net = mx.sym.FullyConnected(data=net, num_hidden=units, name=f"fc{i}")
        net = mx.sym.Activation(data=net, act_type=w["act"], name=f"relu{i}")
    net = mx.sym.FullyConnected(data=net, num_hidden=10, name=f"fc{len(w['hidden']) + 1}")
    return mx.sym.SoftmaxOutput(data=net, name="softmax")


def lenet(w: dict) -> mx.sym.Symbol:
    net = mx.sym.var("data")
    for i, filters in enumerate((20, 50), 1):
        net = mx.sym.Convolution(data=net, kernel=(5, 5), num_filter=filters, name=f"conv{i}")
        if w["act"] != "identity":
            net = mx.sym.Activation(data=net, act_type=w["act"], name=f"act{i}")
        net = mx.sym.Pooling(data=net, pool_type="max", kernel=(2, 2), stride=(2, 2),
                             name=f"pool{i}")
    net = mx.sym.flatten(data=net)
    net = mx.sym.FullyConnected(data=net, num_hidden=500, name="fc1")
    net = mx.sym.Activation(data=net, act_type=w["fc_act"], name="act3")
    net = mx.sym.FullyConnected(data=net, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(data=net, name="softmax")


def optimizer(w: dict, symbol: mx.sym.Symbol) -> tuple[str, dict]:
    if w["optimizer"] == "adam":
        return "adam", {"learning_rate": w["lr"]}
    params = {"learning_rate": w["lr"], "momentum": w["momentum"]}
    if w["optimizer"] == "sgd":
        return "sgd", {**params, "wd": w["wd"]}
    # Mocha: the L2 term 2 * l2 * W is MXNet's wd = 2 * l2 (biases get wd 0 by
    # MXNet's default wd_mult); biases learn at twice the rate.
    sched = mx.lr_scheduler.InvScheduler(gamma=w["gamma"], power=w["power"],
                                         base_lr=w["lr"])
    biases = {n: w["bias_lr_mult"] for n in symbol.list_arguments() if n.endswith("_bias")}
    opt = mx.optimizer.SGD(learning_rate=w["lr"], momentum=w["momentum"], wd=2 * w["l2"],
                           lr_scheduler=sched, sym=symbol, rescale_grad=1.0 / w["batch"])
    opt.set_lr_mult(biases)
    return opt, {}


#: "nan_check_off" trains with fit(..., nan_check=False) (the guard's cost).
VARIANTS = ("default", "nan_check_off")


def main() -> None:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    w = _common.WORKLOADS[args.workload]
    if args.variant not in VARIANTS:
        print(f"mxlite_mnist: unknown variant {args.variant!r}; one of {VARIANTS}",
              file=sys.stderr)
        sys.exit(2)
    if args.device == "gpu" and not mx.context.num_gpus():
        print("mxlite_mnist: --device gpu but JAX finds no GPU", file=sys.stderr)
        sys.exit(3)
    ctx = mx.gpu() if args.device == "gpu" else mx.cpu()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logging.getLogger("jax").setLevel(logging.WARNING)
    mx.random.seed(args.seed)

    train_x, train_y, test_x, test_y = _common.load_mnist(args.workload)
    train = mx.io.NDArrayIter(train_x, train_y, w["batch"], shuffle=True,
                              last_batch_handle="discard")
    test = mx.io.NDArrayIter(test_x, test_y, 100)
    symbol = lenet(w) if w["model"] == "lenet" else mlp(w)
    init = {"uniform0.01": mx.init.Uniform(0.01), "xavier": mx.init.Xavier()}.get(
        w["init"], mx.init.Xavier())
    opt, opt_params = optimizer(w, symbol)

    stamps = [_common.now()]

    def stamp(epoch, sym, arg, aux) -> None:
        mx.nd.waitall()
        stamps.append(_common.now())

    mod = mx.mod.Module(symbol=symbol, context=ctx)
    mod.fit(train, optimizer=opt, optimizer_params=opt_params, initializer=init,
            eval_metric="acc", num_epoch=args.epochs, epoch_end_callback=stamp,
            batch_end_callback=mx.callback.Speedometer(w["batch"], 100),
            nan_check=args.variant != "nan_check_off")
    accuracy = dict(mod.score(test, "acc"))["accuracy"]
    times = [b - a for a, b in itertools.pairwise(stamps)]
    device_mb = None
    if args.device == "gpu":
        stats = ctx.jax_device.memory_stats() or {}
        device_mb = stats.get("peak_bytes_in_use", 0) / 2**20
    _common.emit("mxlite", args, times, accuracy,
                 {"mxlite": mx.__version__, "jax": jax.__version__,
                  "jaxlib": jax.lib.__version__ if hasattr(jax.lib, "__version__") else ""},
                 device_peak_mb=device_mb,
                 extra={"threads": len(os.sched_getaffinity(0)),
                        "compilation_cache": os.environ.get("MXLITE_COMPILATION_CACHE")})


if __name__ == "__main__":
    main()
