"""Digit Recognition on MNIST: MXNet.jl's MNIST tutorial, in Python on mxlite.

MXNet.jl's notebook translated line by line, with ``import mxlite.jl as mx`` for
``using MXNet``: Julia symbols (``:fc1``) become strings, ``@mx.chain a => b => c``
becomes ``mx.chain(a, b, c)`` (or ``a >> b >> c``), arrays are row-major
(``probs[i]`` is example i; Julia's was ``probs[:, i]``) and indices start at 0.
Run it as a script::

    python examples/mnist_mxnet_jl.py                  # 20 epochs, as the tutorial
    python examples/mnist_mxnet_jl.py --epochs 2 --out /tmp/jl

The tutorial's ``showtestdigit``/``showtraindigit`` images are saved as PNG
files into ``--out`` (the plots are drawn headless, with matplotlib).
"""

import argparse
import logging
import os
import time

import matplotlib

matplotlib.use("Agg")  # headless: the images go to files
import matplotlib.pyplot as plt

import mxlite
import mxlite.jl as mx
from mxlite.datasets import mnist_files, read_images, read_labels


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20,
                        help="n_epoch of mx.fit (default 20, as the tutorial)")
    parser.add_argument("--out", default="mnist_mxnet_jl_out",
                        help="directory for the digit images (PNG)")
    return parser.parse_args(argv)


# -- To view the images (MNIST.jl's traindata()/testdata() and the tutorial's helpers)
def show_digit(images, d, path):
    """Save image ``d`` (0-based) as a grayscale PNG, as ``grayim`` showed it."""
    fig = plt.figure(figsize=(2.8, 2.8), dpi=100)
    plt.imshow(images[d], cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    plt.axis("off")
    fig.savefig(path, bbox_inches="tight", pad_inches=0)
    plt.close(fig)
    return path


def showtestdigit(d, out_dir):
    return show_digit(testX, d, os.path.join(out_dir, f"test_digit_{d}.png"))


def showtraindigit(d, out_dir):
    return show_digit(trainX, d, os.path.join(out_dir, f"train_digit_{d}.png"))


files = mnist_files()
trainX, trainY = read_images(files["train_data"]), read_labels(files["train_label"])
testX, testY = read_images(files["test_data"]), read_labels(files["test_label"])


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    # Julia's info() printed "INFO: ..."; JAX's own INFO lines are kept out.
    logging.basicConfig(format="%(levelname)s: %(message)s")
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("jax").setLevel(logging.WARNING)
    mxlite.random.seed(0)  # not in the tutorial: makes a run repeatable

    # 1<n<60000 (Julia is 1-based: n=60000 is the last image, index 59999 here)
    n = 60000
    print(f"trainY[n] = {float(trainY[n - 1])}")
    print("saved", showtraindigit(n - 1, args.out))

    # Create a placeholder for the data.
    data = mx.Variable('data')

    # This is a 3 layer cascaded fully-connected network:
    # Input --> 128 units (ReLU) --> 64 units (ReLU) --> 10 units
    fc1  = mx.FullyConnected(data=data, name='fc1', num_hidden=128)
    act1 = mx.Activation(data=fc1, name='relu1', act_type='relu')
    fc2  = mx.FullyConnected(data=act1, name='fc2', num_hidden=64)
    act2 = mx.Activation(data=fc2, name='relu2', act_type='relu')
    fc3  = mx.FullyConnected(data=act2, name='fc3', num_hidden=10)

    # A final SoftmaxOutput turns the 10-dimensional prediction into probabilities.
    mlp  = mx.SoftmaxOutput(data=fc3, name='softmax')
    mlp_nested = mlp

    # The MLP is just a chain of layers: the mx.chain form is the same architecture.
    mlp = mx.chain(mx.Variable('data'),
                   mx.FullyConnected(name='fc1', num_hidden=128),
                   mx.Activation(name='relu1', act_type='relu'),
                   mx.FullyConnected(name='fc2', num_hidden=64),
                   mx.Activation(name='relu2', act_type='relu'),
                   mx.FullyConnected(name='fc3', num_hidden=10),
                   mx.SoftmaxOutput(name='softmax'))
    assert mlp.tojson() == mlp_nested.tojson(), "mx.chain and the nested form differ"

    # Load the MNIST data providers (MXNet.jl's examples/mnist/mnist-data.jl; here
    # mx.get_mnist_providers, over the MNIST copy bundled with mxlite).
    batch_size = 100
    train_provider, eval_provider = mx.get_mnist_providers(batch_size)

    # mx.FeedForward is the built-in model for feed-forward architectures.
    # (The tutorial used mx.gpu(); mx.cpu() runs anywhere.)
    model = mx.FeedForward(mlp, context=mx.cpu())

    # SGD with a fixed learning rate 0.1 and momentum 0.9
    optimizer = mx.SGD(lr=0.1, momentum=0.9, weight_decay=0.00001)

    # Train for n_epoch epochs, monitoring accuracy on the validation set.
    tic = time.time()
    mx.fit(model, optimizer, train_provider, n_epoch=args.epochs,
           eval_data=eval_provider)
    print(f"{time.time() - tic:10.6f} seconds")

    probs = mx.predict(model, eval_provider)

    # collect all labels from eval data
    # (a Julia `for batch in provider` loop starts by resetting the provider)
    eval_provider.reset()
    labels = []
    for batch in eval_provider:
        labels.append(batch.label[0].asnumpy().copy())
    labels = [label for chunk in labels for label in chunk]

    # Now we use compute the accuracy
    correct = 0
    for i in range(len(labels)):
        # labels are 0...9
        if probs[i].argmax() == labels[i]:
            correct += 1
    accuracy = 100 * correct / len(labels)
    print(f"Accuracy on eval set: {accuracy:.2f}%")

    # The labels are the predictions' ground truth; cross-check with the image.
    n = 144  # Julia's 1-based index
    print(int(labels[n - 1]))
    print("saved", showtestdigit(n - 1, args.out))
    return accuracy


if __name__ == "__main__":
    main()
