"""``chainer.Reporter`` and ``chainer.report``: named observations of a step.

``report({'loss': loss}, link)`` stores the value under the observer's name
(``main/loss``) in the current reporter's observation, when one is active
(the Trainer opens one per iteration). Values stay device arrays until a
summary reads them. ``Summary``/``DictSummary`` average them over an
interval, as LogReport does.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..base import MXNetError
from .serializer import Serializer

__all__ = ["Reporter", "report", "report_scope", "get_current_reporter", "Summary",
           "DictSummary"]

_local = threading.local()


def _stack() -> list:
    stack = getattr(_local, "reporters", None)
    if stack is None:
        stack = _local.reporters = []
    return stack


class Reporter:
    """Collects observations; observers (links) are named by ``add_observer``."""

    def __init__(self) -> None:
        self._observer_names: dict[int, str] = {}
        self.observation: dict | None = None

    def __enter__(self) -> Reporter:
        _stack().append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _stack().pop()

    @contextmanager
    def scope(self, observation: dict) -> Iterator[None]:
        """Make this the current reporter, writing into ``observation``."""
        old = self.observation
        self.observation = observation
        self.__enter__()
        try:
            yield
        finally:
            self.__exit__()
            self.observation = old

    def add_observer(self, name: str, observer: Any) -> None:
        self._observer_names[id(observer)] = name

    def add_observers(self, prefix: str, observers: Any) -> None:
        for name, observer in observers:
            self._observer_names[id(observer)] = prefix + name

    def report(self, values: dict, observer: Any = None) -> None:
        if self.observation is None:
            return
        if observer is not None:
            name = self._observer_names.get(id(observer))
            if name is None:
                raise MXNetError("report: the observer was not registered with the "
                                 "reporter (Reporter.add_observer).")
            values = {f"{name}/{key}": value for key, value in values.items()}
        self.observation.update(values)


def get_current_reporter() -> Reporter | None:
    stack = _stack()
    return stack[-1] if stack else None


def report(values: dict, observer: Any = None) -> None:
    """Report ``values`` to the current reporter (nothing happens without one)."""
    reporter = get_current_reporter()
    if reporter is not None:
        reporter.report(values, observer)


@contextmanager
def report_scope(observation: dict) -> Iterator[None]:
    """Make the current reporter write into ``observation`` inside the block."""
    reporter = get_current_reporter()
    if reporter is None:
        raise MXNetError("report_scope: there is no current reporter.")
    old = reporter.observation
    reporter.observation = observation
    try:
        yield
    finally:
        reporter.observation = old


def _value(x: Any) -> Any:
    return getattr(x, "array", x)


class Summary:
    """Running mean (and std) of one reported value."""

    def __init__(self) -> None:
        self._x = 0.0
        self._x2 = 0.0
        self._n = 0

    def add(self, value: Any, weight: float = 1) -> None:
        value = _value(value)
        self._x = self._x + weight * value
        self._x2 = self._x2 + weight * value * value
        self._n += weight

    def compute_mean(self) -> float:
        return float(np.asarray(self._x)) / self._n if self._n else float("nan")

    def make_statistics(self) -> tuple[float, float]:
        mean = self.compute_mean()
        var = float(np.asarray(self._x2)) / self._n - mean * mean if self._n else 0.0
        return mean, float(np.sqrt(max(var, 0.0)))

    def serialize(self, serializer: Any) -> None:
        try:
            self._x = serializer("_x", float(np.asarray(self._x)))
            self._x2 = serializer("_x2", float(np.asarray(self._x2)))
            self._n = serializer("_n", self._n)
        except KeyError:
            warnings.warn("The previous statistics are not saved.", stacklevel=2)


class DictSummary:
    """A :class:`Summary` per key of a dict of reported values."""

    def __init__(self) -> None:
        self._summaries: dict[str, Summary] = {}

    def add(self, d: dict) -> None:
        for key, value in d.items():
            value = _value(value)
            if isinstance(value, (int, float, np.number)) or (hasattr(value, "shape") \
                    and tuple(value.shape) == ()):
                self._summaries.setdefault(key, Summary()).add(value)

    def compute_mean(self) -> dict:
        return {key: s.compute_mean() for key, s in self._summaries.items()}

    def make_statistics(self) -> dict:
        out = {}
        for key, s in self._summaries.items():
            mean, std = s.make_statistics()
            out[key] = mean
            out[key + ".std"] = std
        return out

    def serialize(self, serializer: Any) -> None:
        """Chainer's layout: ``_names`` (a JSON list) and ``_summaries/<index>/``."""
        if isinstance(serializer, Serializer):
            names = list(self._summaries)
            serializer("_names", json.dumps(names))
        else:
            self._summaries.clear()
            try:
                names = json.loads(str(serializer("_names", "")))
            except KeyError:
                warnings.warn("The names of statistics are not saved.", stacklevel=2)
                return
        for index, name in enumerate(names):
            summary = self._summaries.setdefault(name, Summary())
            summary.serialize(serializer["_summaries"][str(index)])
