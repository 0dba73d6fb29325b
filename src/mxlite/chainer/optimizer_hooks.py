"""``chainer.optimizer_hooks``: gradient transforms run inside the compiled step
(the shared ``mxlite.optimizer.chainer_hooks``)."""

from __future__ import annotations

from ..optimizer.chainer_hooks import (
                                       GradientClipping,
                                       GradientHardClipping,
                                       Lasso,
                                       WeightDecay,
)

__all__ = ["GradientClipping", "GradientHardClipping", "Lasso", "WeightDecay"]
