"""``Evaluator``: the model's mean reports over a test iterator, each epoch.

Evaluation runs under ``chainer.using_config('train', False)`` and
``no_backprop_mode``. When ``eval_func`` is the target link (the default),
each batch is one compiled forward (``mxlite.training.traced_eval``): the
model is traced once per input shape and the reported values come back as
device arrays, summed on the device by ``DictSummary``; the host reads them
once, when LogReport asks. A model that cannot be traced runs eagerly, with
the same results, and a ``TracingFallbackWarning`` says why.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

from ....training.traced import TracingFallbackWarning
from ....training.traced_eval import DynamicForward
from ... import configuration
from ...dataset.convert import concat_examples
from ...dataset.iterator import Iterator
from ...link import Link
from ...optimizer import chain_view
from ...reporter import DictSummary, Reporter, report, report_scope
from .. import extension

__all__ = ["Evaluator"]


class Evaluator(extension.Extension):
    """Report ``<name>/main/<key>``: the mean of what ``target`` reports over
    one pass of ``iterator`` (``validation/main/loss``...).

    Args:
        iterator: a non-repeating iterator (reset before each pass), or a
            dict with ``'main'``.
        target: the link to evaluate, or a dict with ``'main'``.
        converter: ``converter(batch, device)`` as in the updater.
        device: where batches go (None or -1: NumPy on the host).
        eval_hook: ``eval_hook(evaluator)`` before each pass.
        eval_func: what to call on each batch; the target by default.
    """

    trigger = 1, "epoch"
    default_name = "validation"
    priority = extension.PRIORITY_WRITER
    name = None

    def __init__(self, iterator: Any, target: Any, converter: Callable = concat_examples,
                 device: Any = None, eval_hook: Callable | None = None,
                 eval_func: Callable | None = None) -> None:
        self._iterators = {"main": iterator} if isinstance(iterator, Iterator) \
            else dict(iterator)
        self._targets = {"main": target} if isinstance(target, Link) else dict(target)
        self.converter, self.device = converter, device
        self.eval_hook, self.eval_func = eval_hook, eval_func
        self._forward: DynamicForward | None = None
        for key, it in self._iterators.items():
            if getattr(it, "repeat", False):
                warnings.warn(
                    f"Evaluator: the `repeat` property of the iterator {key} is set to "
                    "`True`; the evaluation may never end. Use repeat=False.",
                    stacklevel=2)

    def get_iterator(self, name: str) -> Any:
        return self._iterators[name]

    def get_target(self, name: str) -> Any:
        return self._targets[name]

    def __call__(self, trainer: Any = None) -> dict:
        """Evaluate, report the means to the current reporter, return them."""
        reporter = Reporter()
        prefix = "" if self.name is None else self.name + "/"
        for name, target in self._targets.items():
            reporter.add_observer(prefix + name, target)
            reporter.add_observers(prefix + name, target.namedlinks(skipself=True))
        with reporter, configuration.using_config("train", False):
            result = self.evaluate()
        report(result)
        return result

    def evaluate(self) -> dict:
        """One pass over the iterator; the mean of every reported value."""
        iterator = self._iterators["main"]
        if self.eval_hook:
            self.eval_hook(self)
        if hasattr(iterator, "reset"):
            iterator.reset()
            it = iterator
        else:
            it = copy.copy(iterator)
        summary = DictSummary()
        for batch in it:
            observation: dict = {}
            with report_scope(observation):
                in_arrays = self.converter(batch, self.device)
                with configuration.no_backprop_mode():
                    self._call(in_arrays)
            summary.add(observation)
        return summary.compute_mean()

    def _call(self, in_arrays: Any) -> None:
        args, kwargs = (in_arrays, {}) if isinstance(in_arrays, tuple) else \
            ((), in_arrays) if isinstance(in_arrays, dict) else ((in_arrays,), {})
        target = self._targets["main"]
        fn = self.eval_func or target
        if self._compiled(fn, target, args, kwargs):
            return
        fn(*args, **kwargs)

    def _compiled(self, fn: Callable, target: Link, args: tuple, kwargs: dict) -> bool:
        if self._forward is None:
            view = chain_view(target)
            self._forward = DynamicForward(view.binding())
            self._structure = lambda: (view.key(), configuration.flags())
        if self._forward.run(fn, args, kwargs, structure=self._structure):
            return True
        if self._forward.reason is not None:
            warnings.warn(f"Evaluator: {getattr(fn, '__qualname__', type(fn).__name__)} "
                          f"cannot be compiled ({self._forward.reason}); it runs eagerly.",
                          TracingFallbackWarning, stacklevel=3)
            self._forward.reason = None
        return False

    def finalize(self) -> None:
        for iterator in self._iterators.values():
            iterator.finalize()
