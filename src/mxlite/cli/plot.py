"""The learning-curve PNG written by ``mxlite train`` (matplotlib, headless).

Two panels, loss and accuracy, against epochs: the training values every
few batches (faint) with their running mean (a line), and each epoch's
training and validation values as points at the epoch's end. After one
epoch the curve already shows how training went.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .._fileio import atomic_writer

__all__ = ["plot_learning_curve", "running_mean"]

_PANELS = (("cross-entropy", "loss (cross-entropy)"), ("accuracy", "accuracy"))
_WINDOW = 5


def running_mean(values: list[float], window: int = _WINDOW) -> np.ndarray:
    """The mean over a centred ``window`` of points (nan skipped).

    Centred, so the smoothed line does not lag behind the points it smooths;
    near the ends the window shrinks symmetrically, so the line starts and
    ends on the first and last points.

    Example:
        >>> running_mean([0.0, 3.0, 6.0, 9.0, 0.0], window=3).tolist()
        [0.0, 3.0, 6.0, 5.0, 0.0]
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.empty_like(x)
    for i in range(len(x)):
        half = min(window // 2, i, len(x) - 1 - i)
        chunk = x[i - half:i + half + 1]
        chunk = chunk[np.isfinite(chunk)]
        out[i] = chunk.mean() if chunk.size else np.nan
    return out


def plot_learning_curve(history: list[dict], path: str, title: str = "",
                        curve: dict | None = None) -> None:
    """Plot the loss and accuracy panels into ``path`` (atomically).

    Args:
        history: metrics.json's per-epoch rows (``train_<m>``, ``val_<m>``).
        path: the PNG to write.
        title: the figure's title.
        curve: metrics.json's per-batch points (``epoch`` and one list per metric).
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=100, layout="constrained")
    for ax, (name, label) in zip(axes, _PANELS):
        _panel(ax, name, history, curve or {})
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if ax.has_data():
            ax.legend(fontsize="small")
    fig.suptitle(title)
    try:
        with atomic_writer(path) as f:
            fig.savefig(f, format="png")
    finally:
        plt.close(fig)


def _panel(ax: plt.Axes, name: str, history: list[dict], curve: dict) -> None:
    x, y = curve.get("epoch", []), curve.get(name, [])
    if x and len(x) == len(y):
        every = curve.get("every_batches", 1)
        each = "each batch" if every == 1 else f"mean of each {every} batches"
        ax.plot(x, y, color="C0", alpha=0.3, linewidth=0.8, label=f"train, {each}")
        ax.plot(x, running_mean(y), color="C0",
                label=f"train, running mean of {_WINDOW} points")
    ends = [row["epoch"] + 1 for row in history]
    for key, text, color in ((f"train_{name}", "train, epoch mean", "C0"),
                             (f"val_{name}", "validation, end of epoch", "C1")):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            ax.plot(ends, values, marker="o", linestyle="--" if "train" in key else "-",
                    color=color, label=text)
