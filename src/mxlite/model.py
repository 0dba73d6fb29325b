"""MXNet 1.x Python's ``mx.model``: ``FeedForward``, checkpoints, ``BatchEndParam``.

``mx.model.FeedForward`` is MXNet 1.9.1's model class (deprecated there in
favour of ``mx.mod.Module``, and here too), built as a thin holder over
:class:`~mxlite.module.Module`: it trains with Module's compiled step and
logs MXNet's FeedForward lines (through ``logger``, default the root logger)::

    Epoch[0] Resetting Data Iterator
    Epoch[0] Time cost=1.234
    Epoch[0] Validation-accuracy=0.950000

``X`` may be a DataIter or an array (NumPy or NDArray) with labels ``y``;
arrays are read as MXNet did, ``numpy_batch_size`` rows at a time, shuffled
for training with the leftover rows rolled over into the next epoch. Where
this class differs from MXNet's, on purpose, is listed in
``docs/differences.md``.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import metric as metric_mod
from .base import ParamError, ShapeError
from .callback import BatchEndParam, LogValidationMetricsCallback
from .checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from .context import Context, cpu
from .initializer import Uniform
from .io import DataIter, NDArrayIter, ResizeIter
from .module import Module
from .module.base_module import as_list
from .ndarray import NDArray
from .optimizer import Optimizer
from .symbol import Symbol

__all__ = ["BatchEndParam", "FeedForward", "latest_checkpoint", "load_checkpoint",
           "save_checkpoint"]

_ARRAYS = (np.ndarray, NDArray)


def _contexts(ctx: Any) -> list[Context]:
    """MXNet's ``ctx``: None (one CPU), a Context or a list of Contexts."""
    if ctx is None:
        return [cpu()]
    contexts = ctx if isinstance(ctx, (list, tuple)) else [ctx]
    if not contexts or not all(isinstance(c, Context) for c in contexts):
        raise ParamError(
            f"FeedForward: ctx must be a Context or a list of Contexts "
            f"(mx.cpu(), mx.gpu(0)); got {ctx!r}."
        )
    return list(contexts)


def _check_count(
    where: str, name: str, value: Any, lower: int, *, optional: bool = True
) -> None:
    """``value`` is an int >= ``lower`` (bools are not counts), or None if optional."""
    if value is None and optional:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < lower
    ):
        allowed = f"{'None or ' if optional else ''}an int >= {lower}"
        raise ParamError(f"{where}: {name} must be {allowed}; got {value!r}.")


def _io_names(symbol: Symbol, data: DataIter) -> tuple[list[str], list[str]]:
    """Data and label names: the iterator's, else the symbol's ``*label`` arguments."""
    data_names = [desc[0] for desc in data.provide_data]
    label_names = [desc[0] for desc in data.provide_label or []]
    if not label_names:  # unlabelled data (prediction): labels are still no parameters
        label_names = [
            n
            for n in symbol.list_arguments()
            if n not in data_names and n.endswith("label")
        ]
    return data_names, label_names


class _WarningsOnly(logging.LoggerAdapter):
    """The Module's logger inside FeedForward: warnings pass, info lines do not.

    FeedForward logs its own lines (no ``Train-accuracy``, as MXNet's); the
    Module's would double them.
    """

    def __init__(self, logger: Any) -> None:
        # MXNet code passes logger=logging (the module): that is the root logger.
        is_logger = isinstance(logger, (logging.Logger, logging.LoggerAdapter))
        super().__init__(logger if is_logger else logging.getLogger(), {})

    def isEnabledFor(self, level: int) -> bool:
        return level >= logging.WARNING and self.logger.isEnabledFor(level)


class _CountFromOne:
    """A batch callback seeing FeedForward's batch numbers: from 1 (Module's: 0)."""

    def __init__(self, callback: Callable) -> None:
        self.callback = callback
        frequent = getattr(callback, "frequent", None)
        if isinstance(frequent, int) and frequent > 0:
            # It reads the state after batches (1-based) o, o+f, ...: the Module
            # must sync after 0-based batch o-1, o-1+f, ... (callback.py).
            self.frequent = frequent
            self.sync_offset = (getattr(callback, "sync_offset", 0) - 1) % frequent

    def __call__(self, param: BatchEndParam) -> None:
        self.callback(param._replace(nbatch=param.nbatch + 1))


def _after_first_batch(param: BatchEndParam) -> None:
    """Nothing: here to sync after batch 1, where a Speedometer starts its clock."""


# NOTE: without this sync, batches 1..f would run as one compiled call before any
# callback, and a Speedometer would time f batches as taking no time at all.
_after_first_batch.frequent = 2**62
_after_first_batch.sync_offset = 0


def _batch_callbacks(callbacks: Any) -> list[Callable]:
    wrapped = [_CountFromOne(cb) for cb in as_list(callbacks)]
    if any(hasattr(cb, "frequent") for cb in wrapped):
        wrapped.append(_after_first_batch)
    return wrapped


class _EpochClock:
    """FeedForward's per-epoch lines: ``Resetting Data Iterator`` and ``Time cost``."""

    def __init__(self, logger: Any, resets: bool) -> None:
        self.logger, self.resets = logger, resets
        self.tic = time.time()

    def epoch_end(self, epoch: int, *_: Any) -> None:
        if self.resets:  # the epoch read the data to its end
            self.logger.info("Epoch[%d] Resetting Data Iterator", epoch)
        self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - self.tic)

    def restart(self, *_: Any) -> None:
        self.tic = time.time()

    def epoch_callbacks(self, callbacks: Any, evaluation: Any) -> list[Callable]:
        """Its lines, then the user's callbacks (then a restart, if no evaluation)."""
        restart = [self.restart] if evaluation is None else []
        return [self.epoch_end, *as_list(callbacks), *restart]

    def eval_callbacks(self, callbacks: Any) -> list[Callable]:
        """The user's eval-end callbacks, then the restart of the next epoch's clock.

        They get ``nbatch`` = the batches read, as in MXNet's FeedForward
        (Module's score passes the last batch's index).
        """
        return [*(_CountFromOne(cb) for cb in as_list(callbacks)), self.restart]


class FeedForward:
    """MXNet's model class for feed-forward nets: ``fit``, ``predict``, ``score``.

    Args:
        symbol: the network (a Symbol; MXNet's ``sym_gen`` callables are not
            supported).
        ctx: a Context or a list of them (data parallel); default one CPU.
        num_epoch: ``fit`` trains epochs ``begin_epoch .. num_epoch - 1``.
        epoch_size: batches per epoch (default: one pass over the data);
            an epoch may then stop inside the data and the next goes on
            from there.
        optimizer: a registered name (made with ``rescale_grad=1/batch_size``
            and ``**kwargs``) or an Optimizer.
        initializer: draws the parameters not given in ``arg_params``.
        numpy_batch_size: rows per batch when ``X`` is an array.
        arg_params, aux_params: parameter values (dicts of name to array).
        allow_extra_params: drop given parameters the symbol does not have
            (else they raise).
        begin_epoch: the first epoch's number.
        **kwargs: the optimizer's keyword arguments (``learning_rate=0.1``).

    Example:
        >>> import warnings, numpy as np, mxlite as mx
        >>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
        ...     mx.sym.var('data'), num_hidden=2, name='fc'), name='softmax')
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter('ignore', DeprecationWarning)
        ...     model = mx.model.FeedForward(net, num_epoch=2, learning_rate=0.1)
        >>> x = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
        >>> model.fit(x, (x[:, 0] > 0).astype(np.float32))
        >>> model.predict(x).shape
        (40, 2)
    """

    def __init__(
        self,
        symbol: Symbol,
        ctx: Context | Sequence[Context] | None = None,
        num_epoch: int | None = None,
        epoch_size: int | None = None,
        optimizer: str | Optimizer = "sgd",
        initializer: Any = Uniform(0.01),
        numpy_batch_size: int = 128,
        arg_params: dict | None = None,
        aux_params: dict | None = None,
        allow_extra_params: bool = False,
        begin_epoch: int = 0,
        **kwargs: Any,
    ) -> None:
        warnings.warn(
            "mx.model.FeedForward is deprecated, as in MXNet 1.x; use "
            "mx.mod.Module instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        if not isinstance(symbol, Symbol):
            raise ParamError(
                f"FeedForward: symbol must be a Symbol; got "
                f"{type(symbol).__name__}. (MXNet's sym_gen callable, for "
                "bucketing, is not supported.)"
            )
        self.symbol = symbol
        self.ctx = _contexts(ctx)
        _check_count("FeedForward", "num_epoch", num_epoch, 0)
        _check_count("FeedForward", "epoch_size", epoch_size, 1)
        _check_count(
            "FeedForward", "numpy_batch_size", numpy_batch_size, 1, optional=False
        )
        _check_count("FeedForward", "begin_epoch", begin_epoch, 0, optional=False)
        self._check_optimizer(optimizer, kwargs)
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.begin_epoch = begin_epoch
        self.optimizer = optimizer
        self.initializer = initializer
        self.kwargs = dict(kwargs)
        self.numpy_batch_size = numpy_batch_size
        self.arg_params, self.aux_params = arg_params, aux_params
        self.allow_extra_params = allow_extra_params
        self._pred_module: Module | None = None
        self._pred_key: tuple | None = None
        if allow_extra_params:
            self._drop_extra_params()

    @staticmethod
    def _check_optimizer(optimizer: Any, kwargs: dict) -> None:
        if not isinstance(optimizer, (str, Optimizer)):
            raise ParamError(
                f"FeedForward: optimizer must be a name ('sgd') or an "
                f"Optimizer; got {type(optimizer).__name__}."
            )
        if kwargs and not isinstance(optimizer, str):
            raise ParamError(
                f"FeedForward: optimizer arguments {sorted(kwargs)} are "
                "used only with an optimizer name; give them to the "
                "Optimizer you passed instead."
            )

    def _drop_extra_params(self) -> None:
        args = set(self.symbol.list_arguments())
        aux = set(self.symbol.list_auxiliary_states())
        if self.arg_params:
            self.arg_params = {k: v for k, v in self.arg_params.items() if k in args}
        if self.aux_params:
            self.aux_params = {k: v for k, v in self.aux_params.items() if k in aux}

    def _given_params(self, where: str) -> tuple[dict | None, dict | None]:
        """``(arg_params, aux_params)`` after checking every name is the symbol's."""
        for given, names, kind in (
            (self.arg_params, self.symbol.list_arguments(), "argument"),
            (self.aux_params, self.symbol.list_auxiliary_states(), "auxiliary state"),
        ):
            extra = sorted(set(given or {}) - set(names))
            if extra:
                raise ParamError(
                    f"FeedForward.{where}: {extra[0]!r} is not an {kind} of "
                    "the symbol; pass allow_extra_params=True to "
                    "FeedForward to drop parameters the symbol lacks."
                )
        return self.arg_params, self.aux_params

    # -- data -------------------------------------------------------------------
    def _init_iter(self, X: Any, y: Any, *, mode: str, where: str) -> DataIter:
        """A DataIter for ``X``: itself, or batches of an array (MXNet's _init_iter).

        ``mode`` 'train' shuffles and rolls the leftover rows over into the
        next epoch; 'eval' and 'predict' read in order and pad the last batch
        (padded rows are never counted); only 'predict' needs no labels.
        """
        if isinstance(X, DataIter):
            if y is not None:
                raise ParamError(
                    f"FeedForward.{where}: y must be None when X is a "
                    f"DataIter (the labels come from X); got "
                    f"{type(y).__name__}."
                )
            return X
        if not isinstance(X, _ARRAYS):
            raise ParamError(
                f"FeedForward.{where}: X must be a DataIter, an NDArray or "
                f"a numpy.ndarray; got {type(X).__name__}."
            )
        if X.ndim < 1 or X.shape[0] == 0:
            raise ShapeError(
                f"FeedForward.{where}: X must hold at least one example "
                f"(rows on axis 0); got shape {tuple(X.shape)}."
            )
        y = self._labels(X, y, mode=mode, where=where)
        batch_size = min(X.shape[0], self.numpy_batch_size)
        if mode == "train":
            return NDArrayIter(
                X, y, batch_size, shuffle=True, last_batch_handle="roll_over"
            )
        return NDArrayIter(X, y, batch_size, shuffle=False)

    @staticmethod
    def _labels(X: Any, y: Any, *, mode: str, where: str) -> Any:
        if y is None:
            if mode != "predict":
                raise ParamError(
                    f"FeedForward.{where}: y (the labels) must be given "
                    "when X is an array; got None."
                )
            return np.zeros(X.shape[0], np.float32)
        if not isinstance(y, _ARRAYS):
            raise ParamError(
                f"FeedForward.{where}: y must be a numpy.ndarray or an "
                f"NDArray when X is an array; got {type(y).__name__}."
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape((y.shape[0],))
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ShapeError(
                f"FeedForward.{where}: y must have one label per row of X "
                f"(shape ({X.shape[0]},) or ({X.shape[0]}, 1)); got shape "
                f"{tuple(y.shape)}."
            )
        return y

    def _init_eval_iter(self, eval_data: Any) -> DataIter | None:
        """``eval_data``: None, a DataIter or an ``(X, y)`` pair (lists allowed)."""
        if eval_data is None or isinstance(eval_data, DataIter):
            return eval_data
        if not isinstance(eval_data, (tuple, list)) or len(eval_data) != 2:
            raise ParamError(
                f"FeedForward.fit: eval_data must be a DataIter or an "
                f"(X, y) pair; got {type(eval_data).__name__}."
            )
        X, y = (np.asarray(v) if isinstance(v, list) else v for v in eval_data)
        if isinstance(X, DataIter) and y is None:
            return X
        return self._init_iter(X, y, mode="eval", where="fit (eval_data)")

    # -- training -----------------------------------------------------------------
    def fit(
        self,
        X: Any,
        y: Any = None,
        eval_data: Any = None,
        eval_metric: Any = "acc",
        epoch_end_callback: Any = None,
        batch_end_callback: Any = None,
        kvstore: Any = "local",
        logger: Any = None,
        work_load_list: Any = None,
        monitor: Any = None,
        eval_end_callback: Any = LogValidationMetricsCallback(),
        eval_batch_end_callback: Any = None,
    ) -> None:
        """Train epochs ``begin_epoch .. num_epoch - 1`` on ``X`` (and labels ``y``).

        Parameters given (``arg_params``, a checkpoint, an earlier ``fit``) are
        kept; the others are drawn from ``initializer``. Callbacks are MXNet's:
        ``epoch_end_callback(epoch, symbol, arg_params, aux_params)``,
        ``batch_end_callback(BatchEndParam)`` with batches counted from 1,
        and ``eval_end_callback`` (default: log ``Validation-<metric>``).
        Afterwards ``arg_params``/``aux_params`` hold the trained values.
        """
        data, evaluation = self._fit_data(X, y, eval_data)
        metric = metric_mod.create(eval_metric)
        arg_params, aux_params = self._given_params("fit")
        logger = logger or logging.getLogger()
        clock = _EpochClock(logger, resets=self.epoch_size is None)
        module = Module(
            self.symbol,
            *_io_names(self.symbol, data),
            logger=_WarningsOnly(logger),
            context=self.ctx,
            work_load_list=work_load_list,
        )
        module.fit(
            self._epochs_of(data),
            eval_data=evaluation,
            eval_metric=metric,
            validation_metric=metric,
            epoch_end_callback=clock.epoch_callbacks(epoch_end_callback, evaluation),
            batch_end_callback=_batch_callbacks(batch_end_callback),
            eval_end_callback=clock.eval_callbacks(eval_end_callback),
            eval_batch_end_callback=eval_batch_end_callback,
            kvstore=kvstore,
            optimizer=self.optimizer,
            optimizer_params=self.kwargs,
            initializer=self.initializer,
            arg_params=arg_params,
            aux_params=aux_params,
            allow_missing=True,
            begin_epoch=self.begin_epoch,
            num_epoch=self.num_epoch,
            monitor=monitor,
        )
        self.arg_params, self.aux_params = module.get_params()

    def _fit_data(self, X: Any, y: Any, eval_data: Any) -> tuple[DataIter, Any]:
        """The training iterator (reset, as MXNet) and the evaluation one, or None."""
        if self.num_epoch is None:
            raise ParamError(
                "FeedForward.fit: num_epoch is None; give FeedForward(..., "
                "num_epoch=n) the number of epochs to train."
            )
        data = self._init_iter(X, y, mode="train", where="fit")
        evaluation = self._init_eval_iter(eval_data)
        data.reset()
        return data, evaluation

    def _epochs_of(self, data: DataIter) -> DataIter:
        """``data``, or epochs of ``epoch_size`` batches (each after the last)."""
        if self.epoch_size is None:
            return data
        return ResizeIter(data, self.epoch_size, reset_internal=False)

    # -- inference ----------------------------------------------------------------
    def _predictor(self, data: DataIter, where: str) -> Module:
        """A Module bound for inference on ``data``'s shapes (first device only)."""
        if self.arg_params is None:
            raise ParamError(
                f"FeedForward.{where}: the model has no parameters; call "
                "fit() first, or give arg_params (FeedForward.load)."
            )
        arg_params, aux_params = self._given_params(where)
        names = _io_names(self.symbol, data)
        key = (names, [(d[0], tuple(d[1])) for d in data.provide_data])
        if self._pred_key != key:
            module = Module(self.symbol, *names, context=self.ctx[0])
            module.bind(
                data.provide_data, data.provide_label or None, for_training=False
            )
            self._pred_module, self._pred_key = module, key
        self._pred_module.set_params(arg_params, aux_params or {})
        return self._pred_module

    def predict(
        self,
        X: Any,
        num_batch: int | None = None,
        return_data: bool = False,
        reset: bool = True,
    ) -> Any:
        """Run inference on ``X``: a NumPy array of outputs, one row per example.

        A net with several outputs gives a list of arrays. ``num_batch`` stops
        after that many batches. With ``return_data`` the result is
        ``(outputs, data, label)``, each an array (or list of arrays) of the
        rows read. Padded rows of the last batch are left out.
        """
        _check_count("FeedForward.predict", "num_batch", num_batch, 1)
        data = self._init_iter(X, None, mode="predict", where="predict")
        module = self._predictor(data, "predict")
        outputs, inputs, labels = [], [], []
        for outs, _, batch in module.iter_predict(
            data, num_batch=num_batch, reset=reset
        ):
            outputs.append([o.asnumpy() for o in outs])
            rows = outs[0].shape[0]
            inputs.append([a.asnumpy()[:rows] for a in batch.data])
            labels.append([a.asnumpy()[:rows] for a in batch.label or []])
        if not outputs:
            raise ParamError(
                "FeedForward.predict: X gave no batches; it was read to its "
                "end (call X.reset(), or pass reset=True)."
            )
        result = _merge(outputs)
        if return_data:
            return result, _merge(inputs), _merge(labels)
        return result

    def score(
        self,
        X: Any,
        eval_metric: Any = "acc",
        num_batch: int | None = None,
        batch_end_callback: Any = None,
        reset: bool = True,
    ) -> Any:
        """``eval_metric``'s value over the labelled DataIter ``X`` (or a list of them).

        Example:
            >>> import warnings, numpy as np, mxlite as mx
            >>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
            ...     mx.sym.var('data'), num_hidden=2, name='fc'), name='softmax')
            >>> with warnings.catch_warnings():
            ...     warnings.simplefilter('ignore', DeprecationWarning)
            ...     model = mx.model.FeedForward(net, arg_params={
            ...         'fc_weight': mx.nd.array([[1, 0], [-1, 0]]),
            ...         'fc_bias': mx.nd.zeros((2,))})
            >>> x = np.array([[1, 5], [-1, 2], [2, 0]], np.float32)
            >>> model.score(mx.io.NDArrayIter(x, np.array([0, 1, 1]), batch_size=2))
            0.6666666666666666
        """
        _check_count("FeedForward.score", "num_batch", num_batch, 1)
        if not isinstance(X, DataIter):
            raise ParamError(
                f"FeedForward.score: X must be a DataIter with labels (score "
                f"takes no y); got {type(X).__name__}. Wrap arrays: "
                "mx.io.NDArrayIter(X, y, batch_size)."
            )
        metric = metric_mod.create(eval_metric)
        module = self._predictor(X, "score")
        module.score(
            X,
            metric,
            num_batch=num_batch,
            batch_end_callback=batch_end_callback,
            reset=reset,
        )
        return metric.get()[1]

    # -- checkpoints --------------------------------------------------------------
    def save(self, prefix: str, epoch: int | None = None) -> None:
        """Write ``prefix-symbol.json`` and ``prefix-%04d.params`` (epoch=num_epoch)."""
        epoch = self.num_epoch if epoch is None else epoch
        if epoch is None:
            raise ParamError(
                "FeedForward.save: epoch is None and so is num_epoch; give "
                "the epoch number for the file name."
            )
        if self.arg_params is None:
            raise ParamError(
                "FeedForward.save: the model has no parameters; call fit() first."
            )
        save_checkpoint(
            prefix, epoch, self.symbol, self.arg_params, self.aux_params or {}
        )

    @staticmethod
    def load(prefix: str, epoch: int, ctx: Any = None, **kwargs: Any) -> FeedForward:
        """A model from ``prefix-symbol.json`` and ``prefix-%04d.params``.

        ``begin_epoch`` is ``epoch``, so a further ``fit`` goes on from there;
        ``kwargs`` are FeedForward's (``num_epoch``, ``optimizer``...).
        """
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(
            symbol,
            ctx=ctx,
            arg_params=arg_params,
            aux_params=aux_params,
            begin_epoch=epoch,
            **kwargs,
        )

    @staticmethod
    def create(
        symbol: Symbol,
        X: Any,
        y: Any = None,
        ctx: Any = None,
        num_epoch: int | None = None,
        epoch_size: int | None = None,
        optimizer: Any = "sgd",
        initializer: Any = Uniform(0.01),
        eval_data: Any = None,
        eval_metric: Any = "acc",
        epoch_end_callback: Any = None,
        batch_end_callback: Any = None,
        kvstore: Any = "local",
        logger: Any = None,
        work_load_list: Any = None,
        eval_end_callback: Any = LogValidationMetricsCallback(),
        eval_batch_end_callback: Any = None,
        **kwargs: Any,
    ) -> FeedForward:
        """Make a FeedForward and ``fit`` it, in one call (MXNet's functional form)."""
        model = FeedForward(
            symbol,
            ctx=ctx,
            num_epoch=num_epoch,
            epoch_size=epoch_size,
            optimizer=optimizer,
            initializer=initializer,
            **kwargs,
        )
        model.fit(
            X,
            y,
            eval_data=eval_data,
            eval_metric=eval_metric,
            epoch_end_callback=epoch_end_callback,
            batch_end_callback=batch_end_callback,
            kvstore=kvstore,
            logger=logger,
            work_load_list=work_load_list,
            eval_end_callback=eval_end_callback,
            eval_batch_end_callback=eval_batch_end_callback,
        )
        return model


def _merge(batches: list[list[np.ndarray]]) -> Any:
    """Per-batch lists of arrays -> one array per position; a single one unwrapped."""
    merged = [np.concatenate(parts) for parts in zip(*batches)]
    return merged[0] if len(merged) == 1 else merged
