"""The networks of MXNet's MNIST tutorial (MLP and LeNet), as symbols, and the
initializers ``mxlite train --init`` offers for them."""

from __future__ import annotations

from collections.abc import Callable

from .. import initializer as init
from .. import symbol as sym

__all__ = ["INITIALIZERS", "MODELS", "lenet", "mlp"]


def mlp(num_classes: int = 10) -> sym.Symbol:
    """flatten -> FC 128 relu -> FC 64 relu -> FC 10 -> SoftmaxOutput."""
    data = sym.flatten(data=sym.var("data"))
    fc1 = sym.FullyConnected(data=data, num_hidden=128, name="fc1")
    act1 = sym.Activation(data=fc1, act_type="relu", name="relu1")
    fc2 = sym.FullyConnected(data=act1, num_hidden=64, name="fc2")
    act2 = sym.Activation(data=fc2, act_type="relu", name="relu2")
    fc3 = sym.FullyConnected(data=act2, num_hidden=num_classes, name="fc3")
    return sym.SoftmaxOutput(data=fc3, name="softmax")


def lenet(num_classes: int = 10) -> sym.Symbol:
    """Two tanh conv 5x5 + max-pool 2 blocks (20, 50 filters), FC 500 tanh, FC 10."""
    data = sym.var("data")
    conv1 = sym.Convolution(data=data, kernel=(5, 5), num_filter=20, name="conv1")
    tanh1 = sym.Activation(data=conv1, act_type="tanh", name="tanh1")
    pool1 = sym.Pooling(data=tanh1, pool_type="max", kernel=(2, 2), stride=(2, 2),
                        name="pool1")
    conv2 = sym.Convolution(data=pool1, kernel=(5, 5), num_filter=50, name="conv2")
    tanh2 = sym.Activation(data=conv2, act_type="tanh", name="tanh2")
    pool2 = sym.Pooling(data=tanh2, pool_type="max", kernel=(2, 2), stride=(2, 2),
                        name="pool2")
    flat = sym.flatten(data=pool2, name="flatten")
    fc1 = sym.FullyConnected(data=flat, num_hidden=500, name="fc1")
    tanh3 = sym.Activation(data=fc1, act_type="tanh", name="tanh3")
    fc2 = sym.FullyConnected(data=tanh3, num_hidden=num_classes, name="fc2")
    return sym.SoftmaxOutput(data=fc2, name="softmax")


MODELS = {"mlp": mlp, "lenet": lenet}


# NOTE: MXNet's tutorial used Uniform(0.01): its tanh LeNet then sits at 11%
# accuracy through the first epoch. One LeNet epoch (lr 0.1, batch 100), test
# accuracy over seeds 42 and 1: gaussian/avg/2.34 0.9797, 0.9805; msra 0.9757,
# 0.9800; Xavier() (uniform/avg/3) 0.9760, 0.9771; uniform 0.1135.
INITIALIZERS: dict[str, Callable[[], init.Initializer]] = {
    "xavier": lambda: init.Xavier(rnd_type="gaussian", factor_type="avg",
                                  magnitude=2.34),
    "msra": lambda: init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2),
    "uniform": lambda: init.Uniform(0.01),
}
"""``--init`` name -> a new initializer (weights; biases start at 0)."""
