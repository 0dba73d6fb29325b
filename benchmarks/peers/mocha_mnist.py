"""mxlite.mocha contender: Mocha.jl's LeNet tutorial's loop as a Mocha user runs it.

``examples/mnist_mocha.py``'s net and solver (the tutorial's ``mnist.jl``
through ``from mxlite.mocha import *``): ``HDF5DataLayer(batch_size=64,
shuffle=True)`` on the files ``convert_mnist`` writes (into a temporary
folder, before round 1), LeNet's layers, ``SoftmaxLossLayer``, ``SGD()`` with
momentum 0.9, ``LRPolicy.Inv(0.01, 0.0001, 0.75)`` and ``regu_coef=0.0005``,
and ``solve(solver, net)``, with the tutorial's ``TrainingSummary()`` coffee
break every 100 iterations on (it reads the objective to the host and logs
it) and its statistics lounge (saved every 1000 iterations). One ``solve``
runs every round: a round is 937 iterations, timed by a coffee break of its
own every 937 iterations that waits for the device and stamps the clock
(round 1 starts before the net is built, so it includes building and
compiling). Not in the timed loop: the tutorial's ``Snapshot`` and
``ValidationPerformance`` breaks; the test accuracy is one ``forward_epoch``
of the tutorial's test net (sharing the trained parameters through the
backend) after the last round.

Only workload ``mocha_lenet``, CPU only, variant ``default``. Runs as mxlite
does: this checkout's interpreter and ``src/``, a compilation cache of its own.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common
import jax

import mxlite
from mxlite.mocha import (
    SGD,
    AccuracyLayer,
    Coffee,
    ConvolutionLayer,
    CPUBackend,
    HDF5DataLayer,
    InnerProductLayer,
    LRPolicy,
    MomPolicy,
    Net,
    Neurons,
    PoolingLayer,
    SoftmaxLossLayer,
    Solver,
    TrainingSummary,
    add_coffee_break,
    convert_mnist,
    destroy,
    forward_epoch,
    init,
    make_solver_parameters,
    reset_statistics,
    setup_coffee_lounge,
    shutdown,
    solve,
    srand,
)
from mxlite.mocha.functions import statistics

SUMMARY_EVERY = 100


class RoundClock(Coffee):
    """A coffee break every round: wait for the device, stamp the clock."""

    def __init__(self, stamps: list[float]) -> None:
        self.stamps = stamps

    def enjoy(self, run, lounge) -> None:
        if run.iter:  # the first stamp is taken before the net is built
            jax.block_until_ready(run.state.params)
            self.stamps.append(_common.now())


def lenet(w: dict) -> list:
    """The tutorial's common_layers (conv1, pool1, conv2, pool2, ip1 + ReLU, ip2)."""
    assert (w["act"], w["fc_act"]) == ("identity", "relu")
    return [
        ConvolutionLayer(name="conv1", n_filter=20, kernel=(5, 5), bottoms=["data"],
                         tops=["conv1"]),
        PoolingLayer(name="pool1", kernel=(2, 2), stride=(2, 2), bottoms=["conv1"],
                     tops=["pool1"]),
        ConvolutionLayer(name="conv2", n_filter=50, kernel=(5, 5), bottoms=["pool1"],
                         tops=["conv2"]),
        PoolingLayer(name="pool2", kernel=(2, 2), stride=(2, 2), bottoms=["conv2"],
                     tops=["pool2"]),
        InnerProductLayer(name="ip1", output_dim=500, neuron=Neurons.ReLU(),
                          bottoms=["pool2"], tops=["ip1"]),
        InnerProductLayer(name="ip2", output_dim=10, bottoms=["ip1"], tops=["ip2"]),
    ]


def main() -> int:
    args = _common.parser(__doc__.splitlines()[0]).parse_args()
    if args.workload != "mocha_lenet":
        print(f"mocha_mnist: only workload mocha_lenet; got {args.workload!r}",
              file=sys.stderr)
        return 2
    if (code := _common.only_default_on_cpu("mocha_mnist", args)) is not None:
        return code
    w = _common.WORKLOADS[args.workload]
    iterations = _common.batches_per_round(args.workload)
    logging.getLogger("jax").setLevel(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="mocha-bench-") as tmp:
        data = os.path.join(tmp, "data")
        convert_mnist(data)
        srand(args.seed)
        stamps = [_common.now()]  # round 1 includes building the nets and compiling

        data_layer = HDF5DataLayer(name="train-data", source=f"{data}/train.txt",
                                   batch_size=w["batch"], shuffle=True)
        loss_layer = SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])
        backend = CPUBackend()
        init(backend)
        common_layers = lenet(w)
        net = Net("MNIST-train", backend, [data_layer, *common_layers, loss_layer])

        method = SGD()
        params = make_solver_parameters(
            method, max_iter=iterations * args.epochs, regu_coef=w["l2"],
            mom_policy=MomPolicy.Fixed(w["momentum"]),
            lr_policy=LRPolicy.Inv(w["lr"], w["gamma"], w["power"]))
        solver = Solver(method, params)
        setup_coffee_lounge(solver, save_into=f"{tmp}/statistics.jld", every_n_iter=1000)
        add_coffee_break(solver, RoundClock(stamps), every_n_iter=iterations)
        add_coffee_break(solver, TrainingSummary(), every_n_iter=SUMMARY_EVERY)

        solve(solver, net)

        data_layer_test = HDF5DataLayer(name="test-data", source=f"{data}/test.txt",
                                        batch_size=100)
        acc_layer = AccuracyLayer(name="test-accuracy", bottoms=["ip2", "label"])
        test_net = Net("MNIST-test", backend, [data_layer_test, *common_layers, acc_layer])
        reset_statistics(test_net)
        forward_epoch(test_net)
        accuracy = statistics(test_net)["test-accuracy-accuracy"]
        destroy(net)
        destroy(test_net)
        shutdown(backend)

    times = [b - a for a, b in itertools.pairwise(stamps)]
    _common.emit("mxlite-mocha", args, times, accuracy,
                 {"mxlite": mxlite.__version__, "jax": jax.__version__},
                 extra={"threads": len(os.sched_getaffinity(0)),
                        "summary_every": SUMMARY_EVERY,
                        "compilation_cache": os.environ.get("MXLITE_COMPILATION_CACHE")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
