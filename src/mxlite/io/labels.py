"""Class labels, checked on the host before they reach a compiled step.

One place for every front-end: MXNet's iterators, Chainer's
``softmax_cross_entropy`` (through :mod:`mxlite.training.traced`) and
Mocha's loss and accuracy layers. A label outside ``[0, classes)`` would
otherwise be clipped or wrap silently inside XLA's gather.
"""

from __future__ import annotations

import numpy as np

from ..base import ParamError

__all__ = ["check_class_labels"]


def check_class_labels(labels: np.ndarray, classes: int, where: str, *,
                       ignore: float | None = None) -> None:
    """Raise ParamError unless every label is a whole number in ``[0, classes)``
    (or equals ``ignore``).

    Mocha's labels are 0-based class numbers stored as floats; a 0.5 or a 10
    with 10 classes is a broken data file, better caught before training.

    Example:
        >>> check_class_labels(np.array([[0.0], [9.0]]), 10, "example")
        >>> check_class_labels(np.array([1.5]), 10, "example")
        Traceback (most recent call last):
        ...
        mxlite.base.ParamError: example: labels must be whole class numbers in [0, 10); got 1.5 ...
    """
    x = np.asarray(labels)
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x) | (x != np.floor(x))
        if bad.any():
            raise ParamError(f"{where}: labels must be whole class numbers in "
                             f"[0, {classes}); got {x[bad].flat[0]} among {x.size} "
                             "labels. Store the 0-based class of each sample.")
    elif x.dtype.kind not in "iub":
        raise ParamError(f"{where}: labels must be numbers; got dtype {x.dtype}.")
    if not x.size or (x.min() >= 0 and x.max() < classes):
        return
    keep = x if ignore is None else x[x != ignore]
    if keep.size and (keep.min() < 0 or keep.max() >= classes):
        raise ParamError(f"{where}: labels range over [{keep.min():g}, {keep.max():g}] but "
                         f"there are {classes} classes; labels must lie in "
                         f"[0, {classes}){'' if ignore is None else f' or be {ignore:g}'}.")
