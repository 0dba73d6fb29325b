"""``L.Classifier``: a predictor with a loss and an accuracy, both reported."""

from __future__ import annotations

from typing import Any

from ...base import ParamError
from .. import functions as F
from ..link import Chain
from ..reporter import report

__all__ = ["Classifier"]


class Classifier(Chain):
    """``loss = lossfun(predictor(*x), t)``, with ``self.y``, ``self.loss``,
    ``self.accuracy`` kept and ``loss``/``accuracy`` reported."""

    compute_accuracy = True

    def __init__(self, predictor: Any, lossfun: Any = F.softmax_cross_entropy,
                 accfun: Any = F.accuracy, label_key: int | str = -1) -> None:
        if not isinstance(label_key, (int, str)):
            raise ParamError(f"Classifier: label_key must be an int or a str; got "
                             f"{label_key!r}.")
        super().__init__()
        self.lossfun, self.accfun, self.label_key = lossfun, accfun, label_key
        self.y = self.loss = self.accuracy = None
        with self.init_scope():
            self.predictor = predictor

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if isinstance(self.label_key, int):
            if not -len(args) <= self.label_key < len(args):
                raise ParamError(f"Classifier: label_key {self.label_key} is out of range "
                                 f"for {len(args)} positional arguments.")
            t = args[self.label_key]
            args = args[:self.label_key] + (args[self.label_key + 1:] if
                                            self.label_key != -1 else ())
        else:
            if self.label_key not in kwargs:
                raise ParamError(f"Classifier: label_key {self.label_key!r} is not among "
                                 f"the keyword arguments {sorted(kwargs)}.")
            t = kwargs.pop(self.label_key)
        self.y = self.loss = self.accuracy = None
        self.y = self.predictor(*args, **kwargs)
        self.loss = self.lossfun(self.y, t)
        report({"loss": self.loss}, self)
        if self.compute_accuracy:
            self.accuracy = self.accfun(self.y, t)
            report({"accuracy": self.accuracy}, self)
        return self.loss
