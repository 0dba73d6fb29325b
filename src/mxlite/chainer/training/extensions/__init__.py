"""``chainer.training.extensions``: what a Trainer runs besides the updates."""

from __future__ import annotations

from ._shift import ExponentialShift, LinearShift
from ._snapshot import snapshot, snapshot_object
from .computational_graph import DumpGraph, dump_graph
from .evaluator import Evaluator
from .log_report import LogReport
from .plot_report import PlotReport
from .print_report import PrintReport
from .progress_bar import ProgressBar
from .value_observation import observe_lr, observe_value

__all__ = ["DumpGraph", "Evaluator", "ExponentialShift", "LinearShift", "LogReport",
           "PlotReport", "PrintReport", "ProgressBar", "dump_graph", "observe_lr",
           "observe_value", "snapshot", "snapshot_object"]
