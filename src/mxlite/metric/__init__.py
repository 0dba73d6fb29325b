"""Evaluation metrics (``mx.metric``): MXNet 1.9.1's API on a device-side core.

Every built-in metric keeps its sums and counts on the device and exposes a
pure core, ``init_state()``, ``update_state(state, labels, preds, mask)``,
``get_state()`` and ``set_state(state)``, so the compiled training step
accumulates it without host syncs; ``get()`` reads it back. Values equal
MXNet 1.9.1's for the same inputs (per-batch reductions in the input dtype,
as MXNet's NumPy did; sums in float64), except where MXNet was wrong:

* ``mask`` (update_state, and ``update(..., mask=)``) leaves padded rows
  out; MXNet counted them (docs/semantics.md, "Metrics and padded last
  batches").
* TopKAccuracy accepts ``top_k=1`` (MXNet asserted ``top_k > 1``), treats
  1-D predictions as class ids and counts them globally too, and clamps
  ``top_k`` to the number of classes (NumPy raised).
* Perplexity's ``ignore_label`` defaults to None (MXNet required it).
* CrossEntropy/NLL give nan for a label >= the number of classes (NumPy
  raised IndexError; compiled code cannot raise).
* F1/MCC/PearsonCorrelation reject an unknown ``average`` (MXNet treated it
  as 'micro') and keep it in ``get_config``. F1/MCC do not reject labels
  other than 0/1 (that needs a host sync); they count as negatives.
* PearsonCorrelation 'micro' honours ``reset_local`` and ``get_global``
  (MXNet ignored the first and returned 0.0 for the second).
* ``CompositeEvalMetric.get_metric`` raises for a bad index (MXNet returned
  the exception); ``create(SomeMetricClass)`` instantiates the class.
* Errors are ShapeError/ParamError (also ValueError), with "did you mean".
* ``get()`` returns Python floats, so ``str(m)`` prints ``{'accuracy': 0.97}``.
* PCC is not provided.
"""

from __future__ import annotations

from ._base import DeviceMetric, EvalMetric, alias, register
from ._classification import F1, MCC, Accuracy, TopKAccuracy
from ._composite import CompositeEvalMetric, CustomMetric, create, np
from ._probability import (
    Caffe,
    CrossEntropy,
    Loss,
    NegativeLogLikelihood,
    Perplexity,
    Torch,
)
from ._regression import MAE, MSE, RMSE, PearsonCorrelation

__all__ = [
    "F1",
    "MAE",
    "MCC",
    "MSE",
    "RMSE",
    "Accuracy",
    "Caffe",
    "CompositeEvalMetric",
    "CrossEntropy",
    "CustomMetric",
    "DeviceMetric",
    "EvalMetric",
    "Loss",
    "NegativeLogLikelihood",
    "PearsonCorrelation",
    "Perplexity",
    "TopKAccuracy",
    "Torch",
    "alias",
    "create",
    "np",
    "register",
]
