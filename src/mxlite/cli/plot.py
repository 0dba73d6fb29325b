"""The learning-curve PNG written by ``mxlite train`` (matplotlib, headless)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .._fileio import atomic_writer

__all__ = ["plot_learning_curve"]


def plot_learning_curve(history: list[dict], path: str, title: str = "") -> None:
    """Plot train/validation accuracy per epoch into ``path`` (atomically)."""
    epochs = [row["epoch"] + 1 for row in history]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation")):
        values = [row.get(key) for row in history]
        if any(v is not None for v in values):
            ax.plot(epochs, values, marker="o", label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    try:
        with atomic_writer(path) as f:
            fig.savefig(f, format="png")
    finally:
        plt.close(fig)
