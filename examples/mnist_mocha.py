"""Mocha.jl's LeNet (MNIST) tutorial (``examples/mnist/mnist.jl``), in Python.

The Julia code with ``using Mocha`` replaced by ``from mxlite.mocha import *``,
symbols written as strings (``:data`` is ``"data"``), arrays as (N, C, H, W)
and 0-based indices. Then the tutorial's prediction from the last snapshot and
its learning curve.

Run: ``python examples/mnist_mocha.py`` (the tutorial's 10,000 iterations,
about 6 minutes on a 2-core CPU; ``--max-iter 1000`` for a quick look). It
writes, under ``--dir`` (default: the current directory), ``data/`` (MNIST as
HDF5, as ``mxlite mnist-hdf5 data`` writes it), ``snapshots/`` (the snapshots
and ``statistics.jld``) and ``learning_curve.png``. Run it again and it
resumes from the latest snapshot (with nothing left to train at max_iter).
"""

import argparse
import os

import h5py
import numpy as np

from mxlite.mocha import *  # the tutorial's `using Mocha`


def main(argv=None):
    parser = argparse.ArgumentParser(description="Mocha.jl's LeNet tutorial on MNIST")
    parser.add_argument("--dir", default=".",
                        help="working directory: data/, snapshots/, learning_curve.png")
    parser.add_argument("--data", default=None,
                        help="folder of train.txt/test.txt (default DIR/data; written "
                        "there by convert_mnist if missing)")
    parser.add_argument("--max-iter", type=int, default=10000)
    parser.add_argument("--summary-every", type=int, default=100)
    parser.add_argument("--snapshot-every", type=int, default=5000)
    parser.add_argument("--validate-every", type=int, default=1000)
    parser.add_argument("--save-every", type=int, default=1000,
                        help="statistics saved every N iterations")
    parser.add_argument("--seed", type=int, default=12345678)
    args = parser.parse_args(argv)
    if args.snapshot_every <= 0 or args.max_iter % args.snapshot_every:
        # The prediction below loads the snapshot of the last iteration.
        parser.error(f"--max-iter ({args.max_iter}) must be a multiple of "
                     f"--snapshot-every ({args.snapshot_every})")

    data_dir = args.data or os.path.join(args.dir, "data")
    # get-mnist.sh: download MNIST and convert it to HDF5 (here: the bundled copy).
    if not os.path.exists(os.path.join(data_dir, "train.txt")):
        convert_mnist(data_dir)

    srand(args.seed)

    data_layer = HDF5DataLayer(name="train-data", source=f"{data_dir}/train.txt",
                               batch_size=64, shuffle=True)
    conv_layer = ConvolutionLayer(name="conv1", n_filter=20, kernel=(5, 5),
                                  bottoms=["data"], tops=["conv1"])
    pool_layer = PoolingLayer(name="pool1", kernel=(2, 2), stride=(2, 2),
                              bottoms=["conv1"], tops=["pool1"])
    conv2_layer = ConvolutionLayer(name="conv2", n_filter=50, kernel=(5, 5),
                                   bottoms=["pool1"], tops=["conv2"])
    pool2_layer = PoolingLayer(name="pool2", kernel=(2, 2), stride=(2, 2),
                               bottoms=["conv2"], tops=["pool2"])
    fc1_layer = InnerProductLayer(name="ip1", output_dim=500,
                                  neuron=Neurons.ReLU(), bottoms=["pool2"], tops=["ip1"])
    fc2_layer = InnerProductLayer(name="ip2", output_dim=10,
                                  bottoms=["ip1"], tops=["ip2"])
    loss_layer = SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])

    backend = CPUBackend()
    init(backend)

    common_layers = [conv_layer, pool_layer, conv2_layer, pool2_layer,
                     fc1_layer, fc2_layer]
    net = Net("MNIST-train", backend, [data_layer, *common_layers, loss_layer])

    exp_dir = os.path.join(args.dir, "snapshots")
    method = SGD()
    params = make_solver_parameters(method, max_iter=args.max_iter, regu_coef=0.0005,
                                    mom_policy=MomPolicy.Fixed(0.9),
                                    lr_policy=LRPolicy.Inv(0.01, 0.0001, 0.75),
                                    load_from=exp_dir)
    solver = Solver(method, params)

    setup_coffee_lounge(solver, save_into=f"{exp_dir}/statistics.jld",
                        every_n_iter=args.save_every)

    # report training progress every 100 iterations
    add_coffee_break(solver, TrainingSummary(), every_n_iter=args.summary_every)

    # save snapshots every 5000 iterations
    add_coffee_break(solver, Snapshot(exp_dir), every_n_iter=args.snapshot_every)

    # show performance on test data every 1000 iterations
    data_layer_test = HDF5DataLayer(name="test-data", source=f"{data_dir}/test.txt",
                                    batch_size=100)
    acc_layer = AccuracyLayer(name="test-accuracy", bottoms=["ip2", "label"])
    test_net = Net("MNIST-test", backend, [data_layer_test, *common_layers, acc_layer])
    add_coffee_break(solver, ValidationPerformance(test_net),
                     every_n_iter=args.validate_every)

    solve(solver, net)

    destroy(net)
    destroy(test_net)
    shutdown(backend)

    # -- Using saved snapshots for prediction ----------------------------------------
    backend = CPUBackend()
    init(backend)

    mem_data = MemoryDataLayer(name="data", tops=["data"], batch_size=1,
                               data=[np.zeros((1, 1, 28, 28), np.float32)])
    softmax_layer = SoftmaxLayer(name="prob", tops=["prob"], bottoms=["ip2"])

    run_net = Net("imagenet", backend, [mem_data, *common_layers, softmax_layer])
    load_snapshot(run_net, f"{exp_dir}/snapshot-{args.max_iter:06d}.jld")

    with h5py.File(f"{data_dir}/test.hdf5", "r") as f:
        get_layer(run_net, "data").data[0][0] = f["data"][0]
        # mxlite's labels are 0-based, as Python indexes: the first test image
        # is a 7 and this prints 7 (Mocha's Julia printed label + 1, a 1-based
        # index into the probability vector).
        label = int(f["label"][0][0])
        print("Correct label index: ", label, sep="")

    forward(run_net)
    probs = np.asarray(run_net.output_blobs["prob"].asnumpy())[0]
    print("Label probability vector:")
    print(probs)

    destroy(run_net)
    shutdown(backend)

    # -- Checking the solver's progress with learning curves -------------------------
    stats_file = f"{exp_dir}/statistics.jld"
    png = plot_learning_curve(stats_file, os.path.join(args.dir, "learning_curve.png"))

    accuracy = load_statistics(stats_file).get("test-accuracy-accuracy", {})
    return {
        "accuracy": accuracy[max(accuracy)] if accuracy else None,
        "label": label,
        "probabilities": probs,
        "learning_curve": png,
    }


if __name__ == "__main__":
    main()
