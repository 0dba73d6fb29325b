"""``L.BatchNormalization``: batch statistics in training, running ones in
evaluation (``with chainer.using_config('train', False):``).

The running statistics are the persistents ``avg_mean`` and ``avg_var``
(and the fine-tuning count ``N``), saved under Chainer's names
(``bn/avg_mean``). JAX arrays are immutable, so each training call assigns
new arrays to them; inside a compiled ``optimizer.update`` the trainer reads
them before the traced call and writes the traced results back after it
(``_ChainView.aux``/``set_aux``), so both paths update them alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ndarray
from ...base import ParamError
from ...training.traced import is_traced, untraceable
from .. import initializers
from ..configuration import config
from ..functions._check import dtype_of, need_axis, shape_of
from ..functions.normalization import batch_norm_train, fixed_batch_normalization
from ..link import Link
from ..variable import Parameter, Variable, array_of

__all__ = ["BatchNormalization"]


class BatchNormalization(Link):
    """Batch normalization over ``axis`` (default: every axis but the channel
    axes: ``(0, 2, 3)`` for NCHW input, ``(0,)`` for (N, C)).

    Args:
        size: the channel size (or shape); None to take it from the first
            input, which then needs ``axis``.
        decay: the running averages' decay.
        eps: added to the variance.
        dtype: the parameters' and statistics' dtype (default
            ``chainer.config.dtype``, float32).
        use_gamma, use_beta: learn a scale / a shift.
        initial_gamma, initial_beta: their initializers (default 1 and 0).
        axis: the reduced axes (an int or a sorted tuple).
        initial_avg_mean, initial_avg_var: the statistics' initializers
            (default 0 and 1).
    """

    gamma: Parameter | None = None
    beta: Parameter | None = None
    avg_mean: Any = None
    avg_var: Any = None

    def __init__(self, size: Any = None, decay: float = 0.9, eps: float = 2e-5,
                 dtype: Any = None, use_gamma: bool = True, use_beta: bool = True,
                 initial_gamma: Any = None, initial_beta: Any = None, axis: Any = None,
                 initial_avg_mean: Any = None, initial_avg_var: Any = None) -> None:
        super().__init__()
        if size is None and axis is None:
            raise ParamError("BatchNormalization: give size (the channel size or shape) "
                             "or axis (the reduced axes); both are None.")
        self._initial_avg = (initial_avg_mean, initial_avg_var)
        self.add_persistent("N", 0)
        self.decay, self.eps = decay, eps
        self.axis = (axis,) if isinstance(axis, (int, np.integer)) else axis
        self._dtype = np.dtype(dtype if dtype is not None else config.dtype)
        with self.init_scope():
            if use_gamma:
                self.gamma = Parameter(self._initializer(initial_gamma, 1))
            if use_beta:
                self.beta = Parameter(self._initializer(initial_beta, 0))
        if size is not None:
            self._initialize_params(size)

    def _initializer(self, initializer: Any, default: float) -> Any:
        init = initializers._get_initializer(default if initializer is None
                                             else initializer)
        init.dtype = self._dtype
        return init

    def _initialize_params(self, shape: Any) -> None:
        shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(shape)
        mean_init, var_init = self._initial_avg
        self.add_persistent("avg_mean", self._initializer(mean_init, 0).generate(
            shape, self._ctx))
        self.add_persistent("avg_var", self._initializer(var_init, 1).generate(
            shape, self._ctx))
        for param in (self.gamma, self.beta):
            if param is not None:
                param.initialize(shape)

    def forward(self, x: Any, **kwargs: Any) -> Variable:
        """Normalize ``x``; ``finetune=True`` (training only) accumulates the
        population statistics instead (decay ``1 - 1/N``)."""
        finetune = _finetune(kwargs)
        fresh = self.avg_mean is None
        if fresh:
            self._initialize_params(self._channel_shape(x))
        gamma = self.gamma if self.gamma is not None else self._constant(x, 1.0)
        beta = self.beta if self.beta is not None else self._constant(x, 0.0)
        if not config.train:
            return fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                             self.eps, axis=self.axis)
        traced = is_traced(array_of(x))
        decay = self.decay
        if finetune:
            if traced:
                untraceable("BatchNormalization(finetune=True) counts batches on the host")
            self.N += 1
            decay = 1.0 - 1.0 / self.N
        y, mean, var = batch_norm_train(x, gamma, beta, eps=self.eps, axis=self.axis,
                                        running=(self.avg_mean, self.avg_var),
                                        decay=decay)
        # NOTE: statistics created while tracing stay concrete: the trainer traces
        # again once it sees them, and a tracer left here would outlive its trace.
        if not (fresh and traced):
            self.avg_mean, self.avg_var = mean, var
        return y

    def _channel_shape(self, x: Any) -> tuple:
        shape = shape_of(x)
        axes = {need_axis("BatchNormalization", a, len(shape)) for a in self.axis}
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def _constant(self, x: Any, value: float) -> Variable:
        return Variable(ndarray.full(tuple(self.avg_mean.shape), value, ctx=self._ctx,
                                     dtype=dtype_of(x))._data, requires_grad=False)

    def start_finetuning(self) -> None:
        """Reset the batch count of the fine-tuning mode."""
        self.N = 0


def _finetune(kwargs: dict) -> bool:
    if "test" in kwargs:
        raise ParamError("BatchNormalization: the test argument is not supported "
                         "anymore (as in Chainer v2+); use "
                         "chainer.using_config('train', False).")
    unknown = set(kwargs) - {"finetune"}
    if unknown:
        raise TypeError(f"BatchNormalization() got unexpected keyword argument(s) "
                        f"{', '.join(sorted(unknown))}; accepted: finetune.")
    return bool(kwargs.get("finetune", False))
