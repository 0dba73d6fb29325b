"""Mocha.jl's API: layer nets wired by named blobs, solvers, coffee breaks.

``from mxlite.mocha import *`` gives a Mocha user the names of Mocha.jl's
LeNet (MNIST) tutorial. Julia symbols become strings (``bottoms=["data"]``), arrays
are (N, C, H, W), pairs such as ``kernel=(5, 5)`` are (height, width) and
indices are 0-based; everything else keeps Mocha's names and defaults. Every
layer lowers to the shared registry operators and every solver to the
shared optimizer rules (:mod:`mxlite.optimizer.mocha`); training runs
through :mod:`mxlite.training`'s one compiled step (docs/differences.md,
"Mocha", lists what differs from Mocha.jl and why).
"""

from __future__ import annotations

from ..datasets.hdf5 import convert_mnist
from ..optimizer.mocha_policy import LRPolicy, MomPolicy
from ._seed import srand
from .backend import CPUBackend, GPUBackend, init, shutdown
from .coffee import (
    Coffee,
    Snapshot,
    TrainingSummary,
    ValidationPerformance,
    add_coffee_break,
    setup_coffee_lounge,
)
from .functions import (
    backward,
    destroy,
    forward,
    forward_epoch,
    get_layer,
    get_layer_state,
    reset_statistics,
)
from .initializers import (
    ConstantInitializer,
    GaussianInitializer,
    L1Regu,
    L2Regu,
    NoRegu,
    XavierInitializer,
)
from .layers import (
    AccuracyLayer,
    ConcatLayer,
    ConvolutionLayer,
    DropoutLayer,
    HDF5DataLayer,
    InnerProductLayer,
    MemoryDataLayer,
    Pooling,
    PoolingLayer,
    ReLULayer,
    ReshapeLayer,
    SoftmaxLayer,
    SoftmaxLossLayer,
    SplitLayer,
)
from .net import Net
from .neurons import Neurons
from .snapshot import load_snapshot
from .solvers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Nesterov,
    RMSProp,
    Solver,
    make_solver_parameters,
)
from .solving import SolverState, solve
from .statistics import load_statistics, low_pass, plot_learning_curve
from .topology import TopologyError

__all__ = [
    # data
    "convert_mnist", "HDF5DataLayer", "MemoryDataLayer",
    # layers, neurons, initializers, regularizers
    "AccuracyLayer", "ConcatLayer", "ConvolutionLayer", "DropoutLayer",
    "InnerProductLayer", "Pooling", "PoolingLayer", "ReLULayer", "ReshapeLayer",
    "SoftmaxLayer", "SoftmaxLossLayer", "SplitLayer", "Neurons",
    "ConstantInitializer", "GaussianInitializer", "XavierInitializer",
    "L1Regu", "L2Regu", "NoRegu",
    # nets and backends
    "CPUBackend", "GPUBackend", "Net", "TopologyError", "backward", "destroy", "forward",
    "forward_epoch", "get_layer", "get_layer_state", "init", "reset_statistics",
    "shutdown", "srand",
    # solvers
    "SGD", "Adadelta", "Adagrad", "Adam", "Nesterov", "RMSProp", "LRPolicy", "MomPolicy",
    "Solver", "SolverState", "make_solver_parameters", "solve",
    # coffee breaks, snapshots, statistics
    "Coffee", "Snapshot", "TrainingSummary", "ValidationPerformance", "add_coffee_break",
    "setup_coffee_lounge", "load_snapshot", "load_statistics", "low_pass",
    "plot_learning_curve",
]
