"""``PlotReport``: plot averaged observations to a PNG (matplotlib, Agg backend)."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from ...._fileio import atomic_write_bytes
from ...reporter import DictSummary
from ...serializer import Serializer
from .. import extension
from ..trigger import get_trigger

__all__ = ["PlotReport"]

_pyplot: Any = None


def _load_pyplot() -> Any:
    """matplotlib's pyplot on the headless Agg backend, or None if missing."""
    global _pyplot
    if _pyplot is None:
        try:
            # NOTE: imported on first use: matplotlib is slow to import and only
            # plotting needs it.
            import matplotlib  # noqa: PLC0415

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt  # noqa: PLC0415
        except ImportError:
            _pyplot = False
        else:
            _pyplot = plt
    return _pyplot or None


class PlotReport(extension.Extension):
    """At each ``trigger`` average ``y_keys`` over the interval and redraw
    ``out/<file_name>``: one line per key against ``x_key`` (``'epoch'`` or
    ``'iteration'``), written atomically.

    Args:
        y_keys: a key or a list of keys (``'main/loss'``).
        x_key: ``'iteration'`` or ``'epoch'``.
        trigger: when to add a point and redraw.
        postprocess: ``postprocess(figure, axes, summary)`` before saving.
        filename: the PNG's name (``file_name=`` too, Chainer's older name).
        marker: the matplotlib marker; grid: draw a grid.
    """

    def __init__(self, y_keys: Any, x_key: str = "iteration", trigger: Any = (1, "epoch"),
                 postprocess: Callable | None = None, filename: str | None = None,
                 marker: str | None = "x", grid: bool = True, *,
                 file_name: str = "plot.png") -> None:
        self._x_key = x_key
        self._y_keys = (y_keys,) if isinstance(y_keys, str) else tuple(y_keys)
        self._trigger = get_trigger(trigger)
        self._file_name = file_name if filename is None else filename
        self._marker, self._grid, self._postprocess = marker, grid, postprocess
        self._summary = DictSummary()
        self._data: dict[str, list] = {k: [] for k in self._y_keys}

    @staticmethod
    def available() -> bool:
        """Whether matplotlib can be imported."""
        return _load_pyplot() is not None

    def __call__(self, trainer: Any) -> None:
        if not self.available():
            return
        observation = trainer.observation
        self._summary.add({k: observation[k] for k in self._y_keys if k in observation})
        if not self._trigger(trainer):
            return
        stats = {k: float(v) for k, v in self._summary.compute_mean().items()}
        stats["epoch"] = trainer.updater.epoch
        stats["iteration"] = trainer.updater.iteration
        x = stats[self._x_key]
        for key in self._y_keys:
            if key in stats:
                self._data[key].append((x, stats[key]))
        self._draw(os.path.join(trainer.out, self._file_name))
        self._summary = DictSummary()

    def _draw(self, path: str) -> None:
        plt = _load_pyplot()
        figure = plt.figure()
        axes = figure.add_subplot(111)
        axes.set_xlabel(self._x_key)
        if self._grid:
            axes.grid()
        for key in self._y_keys:
            xy = np.array(self._data[key])
            if len(xy):
                axes.plot(xy[:, 0], xy[:, 1], marker=self._marker, label=key)
        if axes.has_data():
            if self._postprocess is not None:
                self._postprocess(figure, axes, self._summary)
            legend = axes.legend(bbox_to_anchor=(1.05, 1), loc=2, borderaxespad=0.0)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", bbox_extra_artists=(legend,),
                           bbox_inches="tight")
            atomic_write_bytes(path, buffer.getvalue())
        plt.close(figure)

    def serialize(self, serializer: Any) -> None:
        key = f"_plot_{self._file_name}"
        if isinstance(serializer, Serializer):
            serializer(key, json.dumps(self._data))
        else:
            self._data = json.loads(str(serializer(key, "")))
