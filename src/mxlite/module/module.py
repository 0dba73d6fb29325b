"""Module: a Symbol, its parameters, an optimizer, trained by compiled steps.

The intermediate API (bind, init_params, init_optimizer, forward, backward,
update, update_metric) is MXNet's and runs through an Executor. ``fit``
hands the Symbol to the training package as a Program (``program.py``) and
holds the :class:`~mxlite.training.TrainState` between calls: one compiled
call does forward, backward, update and metric for many batches gathered on
the device. The Module reads the state at the loop's sync points
(``on_sync``); the loop never reads the Module.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import checkpoint, random
from .. import initializer as init_mod
from .. import optimizer as opt_mod
from ..base import MXNetError, ParamError, ShapeError, did_you_mean
from ..context import Context, cpu
from ..io import DataBatch, DataDesc
from ..ndarray import NDArray, load
from ..ndarray.ndarray import to_jax
from ..training import EpochLoop, OnDevice, TrainState, TrainStep, batch_sharding
from . import resume
from .base_module import BaseModule, as_list
from .program import symbol_program

__all__ = ["Module"]


def _shape_dict(descs: Any) -> dict[str, tuple]:
    """``[DataDesc | (name, shape)]`` -> ``{name: shape}``."""
    out = {}
    for desc in as_list(descs):
        name, shape = (desc.name, desc.shape) if hasattr(desc, "name") else desc
        out[name] = tuple(shape)
    return out


def _hint(name: str, candidates: list[str]) -> str:
    """`` Did you mean 'x'?`` for the candidate ``name`` was probably meant to
    be (a close spelling, or one that adds or drops a prefix), or ``""``."""
    suffixed = [c for c in candidates if c.endswith("_" + name) or name.endswith("_" + c)]
    return (did_you_mean(name, candidates) or did_you_mean(name, suffixed, cutoff=0.0)
            or did_you_mean(name, candidates, cutoff=0.5))


class Module(BaseModule):
    """MXNet's Module: train and run one Symbol.

    Example:
        >>> import mxlite as mx
        >>> net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(
        ...     mx.sym.var('data'), num_hidden=3, name='fc'), name='softmax')
        >>> mod = mx.mod.Module(net)
        >>> mod.bind(data_shapes=[('data', (4, 5))], label_shapes=[('softmax_label', (4,))])
        >>> mod.init_params()
        >>> sorted(mod.get_params()[0])
        ['fc_bias', 'fc_weight']
    """

    def __init__(self, symbol: Any, data_names: Sequence[str] = ("data",),
                 label_names: Sequence[str] | None = ("softmax_label",),
                 logger: Any = logging, context: Context | Sequence[Context] = cpu(),
                 work_load_list: Any = None, fixed_param_names: Sequence[str] | None = None,
                 state_names: Any = None, group2ctxs: Any = None,
                 compression_params: Any = None) -> None:
        super().__init__(logger)
        self._symbol = symbol
        self._context = as_list(context) or [cpu()]
        args = symbol.list_arguments()
        self._data_names = self._check_names(list(data_names or ()), args, "data")
        self._label_names = self._check_names(list(label_names or ()), args, "label")
        self._fixed_param_names = list(fixed_param_names or ())
        self._check_names(self._fixed_param_names, args, "fixed_param")
        inputs = set(self._data_names) | set(self._label_names)
        self._param_names = [n for n in args if n not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._exec = None
        self._optimizer = None
        self._train_state: TrainState | None = None  # opt state, step, key
        self._step_count = 0  # the state's step counter, known on the host
        self._last_pad = 0
        self._trainer: TrainStep | None = None  # the one used last
        self._trainers: dict = {}  # by what the device metric computes
        self._built_for: tuple = ()
        self._data_shapes: dict = {}
        self._label_shapes: dict = {}
        self._preloaded: tuple | None = None
        self._preload_states: str | None = None
        self._shapes_ok: set = set()
        self._placed: dict = {}

    def _check_names(self, names: list[str], args: list[str], kind: str) -> list[str]:
        """Keep the names that are arguments; a misspelt one raises with a hint.

        A label name with no look-alike argument is dropped with a warning (as
        MXNet does), so an inference-only symbol works with the default
        ``label_names``; a near miss (``'label'`` for ``'softmax_label'``)
        raises, since training would otherwise silently use no label.
        """
        kept = []
        for name in names:
            if name in args:
                kept.append(name)
                continue
            hint = _hint(name, args)
            if hint or kind != "label":
                extra = hint or f" Arguments: {args}."
                raise ParamError(f"Module(..., {kind}_names={names!r}): {name!r} is not an "
                                 f"argument of the symbol.{extra}")
            self.logger.warning("Module: label %r is not an argument of the symbol; "
                                "it is ignored.", name)
        return kept

    # -- names and shapes ---------------------------------------------------
    data_names = property(lambda self: list(self._data_names))
    label_names = property(lambda self: list(self._label_names))
    output_names = property(lambda self: self._symbol.list_outputs())

    @property
    def data_shapes(self) -> list[DataDesc]:
        """``[DataDesc(name, shape)]`` of the data inputs as bound now."""
        return [DataDesc(k, v) for k, v in self._data_shapes.items()]

    @property
    def label_shapes(self) -> list[DataDesc]:
        """``[DataDesc(name, shape)]`` of the labels as bound now."""
        return [DataDesc(k, v) for k, v in self._label_shapes.items()]

    @property
    def output_shapes(self) -> list[tuple]:
        self._require(binded=True, what="output_shapes")
        _, outs, _ = self._symbol.infer_shape(**self._data_shapes, **self._label_shapes)
        return list(zip(self.output_names, outs))

    # -- bind -----------------------------------------------------------------
    def bind(self, data_shapes: Any, label_shapes: Any = None, for_training: bool = True,
             inputs_need_grad: bool = False, force_rebind: bool = False,
             shared_module: Any = None, grad_req: str = "write") -> None:
        """Allocate the executor for these input shapes."""
        if self.binded and not force_rebind:
            self.logger.warning("Module.bind: already bound; ignoring bind().")
            # The shapes must still fit the bound parameters (fit trains on them).
            shapes = {**_shape_dict(data_shapes), **_shape_dict(label_shapes)}
            self._check_shapes({k: v for k, v in shapes.items()
                                if k in self._data_names or k in self._label_names}, "bind")
            return
        data = _shape_dict(data_shapes)
        labels = _shape_dict(label_shapes) if for_training or label_shapes else {}
        if set(data) != set(self._data_names):
            raise ParamError(f"Module.bind: data_shapes name {sorted(data)} but the "
                             f"module's data_names are {self._data_names}.")
        self._check_label_names(labels, for_training)
        labels = {k: v for k, v in labels.items() if k in self._label_names}
        reqs = self._grad_reqs(for_training, inputs_need_grad, grad_req)
        old = self._exec
        self._exec = self._symbol.simple_bind(self._context[0], grad_req=reqs,
                                              **data, **labels)
        if old is not None and self.params_initialized:
            self._exec.copy_params_from(
                {n: old.arg_dict[n] for n in self._param_names},
                {n: old.aux_dict[n] for n in self._aux_names})
        self._data_shapes, self._label_shapes = data, labels
        self._shapes_ok.clear()
        self.binded, self.for_training = True, for_training
        self.inputs_need_grad = inputs_need_grad
        if shared_module is not None and shared_module.params_initialized:
            self.set_params(*shared_module.get_params())
        if self._preloaded is not None:
            self.set_params(*self._preloaded)
            self._preloaded = None

    def _check_label_names(self, labels: dict, for_training: bool) -> None:
        """Refuse training on labels named other than ``label_names``."""
        missing = [n for n in self._label_names if n not in labels]
        if not (for_training and labels and missing):
            return
        raise ParamError(
            f"Module.bind: the data's labels are named {sorted(labels)} but the "
            f"module's label_names are {self._label_names} (missing {missing}). "
            f"Name the iterator's label {missing[0]!r} (e.g. NDArrayIter(..., "
            f"label_name={missing[0]!r})), or give the symbol a label input "
            f"named {sorted(labels)[0]!r} and pass Module(..., "
            f"label_names={sorted(labels)})."
        )

    def _grad_reqs(self, for_training: bool, inputs_need_grad: bool, grad_req: str) -> dict:
        reqs = {}
        for name in self._symbol.list_arguments():
            if name in self._data_names:
                reqs[name] = grad_req if inputs_need_grad else "null"
            elif name in self._label_names or name in self._fixed_param_names:
                reqs[name] = "null"
            else:
                reqs[name] = grad_req if for_training else "null"
        return reqs

    # -- parameters -----------------------------------------------------------
    def init_params(self, initializer: Any = init_mod.Uniform(0.01), arg_params: Any = None,
                    aux_params: Any = None, allow_missing: bool = False,
                    force_init: bool = False, allow_extra: bool = False) -> None:
        """Initialize parameters, from given values where present."""
        if self.params_initialized and not force_init:
            self.logger.warning("Module.init_params: parameters already initialized; "
                                "ignoring (pass force_init=True to reinitialize).")
            return
        self._require(binded=True, what="init_params")
        attrs = self._symbol.attr_dict()
        groups = ((self._param_names, arg_params, self._exec.arg_dict),
                  (self._aux_names, aux_params, self._exec.aux_dict))
        # Check everything before writing anything: a failed call leaves the
        # parameters as they were.
        for names, given, target in groups:
            self._check_extra(given, names, allow_extra)
            for name in names:
                self._check_given(name, target[name], given, allow_missing)
        for names, given, target in groups:
            for name in names:
                self._init_one(name, target[name], given, initializer, attrs)
        self.params_initialized = True

    def _check_extra(self, given: Any, names: list[str], allow_extra: bool) -> None:
        extra = [k for k in (given or {}) if k not in names]
        if extra and not allow_extra:
            raise ParamError(f"Module.init_params: {extra[0]!r} is not a parameter of the "
                             "symbol; pass allow_extra=True to ignore it.")

    @staticmethod
    def _check_given(name: str, arr: NDArray, given: Any, allow_missing: bool) -> None:
        if given is not None and name in given:
            shape = tuple(np.shape(given[name]))
            if shape != arr.shape:
                raise ShapeError(f"Module.init_params: {name!r} was given shape {shape} "
                                 f"but the symbol needs {arr.shape}.")
            return
        if given is not None and not allow_missing:
            raise ParamError(f"Module.init_params: {name!r} is missing from the given "
                             "parameters; pass allow_missing=True to initialize it.")

    @staticmethod
    def _init_one(name: str, arr: NDArray, given: Any, initializer: Any,
                  attrs: dict) -> None:
        if given is not None and name in given:
            value = given[name]
            data = value._data if isinstance(value, NDArray) else np.asarray(value)
            # A copy: training donates the module's buffers, which must never be
            # the caller's arrays.
            arr._data = jnp.array(to_jax(data, arr.context, arr._data.dtype), copy=True)
        elif initializer is not None:  # None (set_params, allow_missing): keep the value
            initializer(init_mod.InitDesc(name, attrs.get(name, {})), arr)

    def get_params(self) -> tuple[dict, dict]:
        """Copies of ``(arg_params, aux_params)``."""
        self._require(binded=True, params=True, what="get_params")
        def copy(a: NDArray) -> NDArray:
            return NDArray(jnp.array(a._data, copy=True), a.context)

        return ({n: copy(self._exec.arg_dict[n]) for n in self._param_names},
                {n: copy(self._exec.aux_dict[n]) for n in self._aux_names})

    def set_params(self, arg_params: Any, aux_params: Any, allow_missing: bool = False,
                   force_init: bool = True, allow_extra: bool = False) -> None:
        """Assign parameter values (shapes must match)."""
        self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init,
                         allow_extra=allow_extra)

    # -- optimizer ------------------------------------------------------------
    def init_optimizer(self, kvstore: Any = "local", optimizer: Any = "sgd",
                       optimizer_params: Any = (("learning_rate", 0.01),),
                       force_init: bool = False) -> None:
        """Create the optimizer; ``rescale_grad`` defaults to 1/batch_size."""
        self._require(binded=True, params=True, what="init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("Module.init_optimizer: already initialized; ignoring.")
            return
        if isinstance(kvstore, str) and kvstore.startswith("dist"):
            raise ParamError(f"Module.init_optimizer: kvstore={kvstore!r} is not supported; "
                             "use 'local' or 'device' (multi-machine training is not built).")
        batch_size = next(iter(self._data_shapes.values()))[0]
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", 1.0 / batch_size)
            idx2name = dict(enumerate(self._param_names))
            optimizer = opt_mod.create(optimizer, sym=self._symbol,
                                       param_idx2name=idx2name, **params)
        elif abs(optimizer.rescale_grad - 1.0 / batch_size) > 1e-12:
            self.logger.warning("Optimizer created manually outside Module but "
                                "rescale_grad is not normalized to 1.0/batch_size/"
                                "num_workers (%s vs. %s). Is this intended?",
                                optimizer.rescale_grad, 1.0 / batch_size)
        self._optimizer = optimizer
        self._step_count = getattr(optimizer, "begin_num_update", 0)
        trainer = self._trainer_for(None)
        key = random.next_key() if trainer.program.uses_key else None
        self._train_state = trainer.new_state(self._param_arrays(), self._aux_arrays(),
                                              step=self._step_count, key=key)
        self.optimizer_initialized = True
        if self._preload_states is not None:
            self.load_optimizer_states(self._preload_states)
            self._preload_states = None

    def borrow_optimizer(self, shared_module: Module) -> None:
        """Use another module's optimizer (and its state)."""
        self._optimizer = shared_module._optimizer
        self._train_state = shared_module._train_state
        self._step_count = shared_module._step_count
        self.optimizer_initialized = True

    def _param_arrays(self) -> dict:
        return {n: self._exec.arg_dict[n]._data for n in self._trainable()}

    def _aux_arrays(self) -> dict:
        return {n: self._exec.aux_dict[n]._data for n in self._aux_names}

    def _trainable(self) -> list[str]:
        return [n for n in self._param_names if n not in self._fixed_param_names]

    def _write_params(self, params: dict, aux: dict | None = None) -> None:
        for name, value in params.items():
            self._exec.arg_dict[name]._data = value
        for name, value in (aux or {}).items():
            if name in self._exec.aux_dict:
                self._exec.aux_dict[name]._data = value

    # -- the training package ------------------------------------------------
    def _trainer_for(self, metric: Any) -> TrainStep:
        """The compiled steps for this symbol, optimizer and metric (reused)."""
        device_metric = metric if getattr(metric, "device_capable", False) else None
        # Keyed on the symbol, not the executor's graph function: validation
        # reshapes the executor, which must not recompile the training step. And
        # on what the metric computes, not the object: fit(eval_metric='acc')
        # makes a new Accuracy every call.
        metric_key = None if device_metric is None else device_metric.device_key
        owner = (self._optimizer, self._symbol, self._context[0])
        if owner != self._built_for:
            self._trainers, self._built_for = {}, owner
        trainer = self._trainers.get(metric_key)
        if trainer is None:
            program = symbol_program(
                self._symbol, self._exec._graph, param_names=self._trainable(),
                data_names=self._data_names, label_names=self._label_names,
                shapes={**self._data_shapes, **self._label_shapes})
            trainer = self._trainers[metric_key] = TrainStep(
                program, self._optimizer, batch_sharding=batch_sharding(self._context))
        self._trainer = trainer
        self._trainer.metric = device_metric
        trainer.nan_check = getattr(self, "_nan_check", True)
        return self._trainer

    def _state_now(self) -> TrainState:
        """The held state with the executor's parameters (a user may have set them)."""
        return self._train_state._replace(params=self._param_arrays(),
                                          aux=self._aux_arrays())

    def on_sync(self, state: TrainState) -> None:
        """Training loop callback: keep the state, write parameters back."""
        self._train_state = state
        params, aux = state.params, state.aux
        if self._trainer.batch_sharding is not None:  # the executor runs on one device
            params, aux = jax.device_put((params, aux), self._context[0].jax_device)
        self._write_params(params, aux)

    def batch_inputs(self, batch: Any) -> dict:
        """Training loop callback: a DataBatch's arrays by input name."""
        return {k: v._data for k, v in self._batch_inputs(batch, True).items()}

    def host_metric(self, metric: Any, outs: list, pad: int, batch: Any) -> None:
        """Training loop callback: a metric that runs on the host."""
        self._exec._set_outputs(outs)
        self._last_pad = pad
        self.update_metric(metric, batch.label)

    @property
    def _num_update(self) -> int:
        """MXNet's update count: the training state's step counter."""
        return self._step_count

        # -- computation ----------------------------------------------------------
    def forward(self, data_batch: Any, is_train: bool | None = None) -> None:
        """Run the executor on a batch (rebinding if the batch shape changed).

        A batch may have another batch size than the bound one (the executor is
        reshaped, parameters are kept); a shape that would change a parameter's
        shape raises ShapeError.
        """
        self._require(binded=True, params=True, what="forward")
        is_train = self.for_training if is_train is None else is_train
        inputs = self._batch_inputs(data_batch, with_labels=is_train or self.for_training)
        self._reshape_for({k: tuple(v.shape) for k, v in inputs.items()})
        self._last_pad = int(getattr(data_batch, "pad", 0) or 0)
        self._exec.forward(is_train=is_train, **inputs)

    def _reshape_for(self, shapes: dict[str, tuple]) -> None:
        """Rebind the executor when the input shapes differ from its own."""
        bound = self._exec.arg_dict
        if all(bound[k].shape == s for k, s in shapes.items()):
            return
        new = {k: shapes.get(k, bound[k].shape) for k in self._data_names}
        new.update({k: shapes[k] for k in self._label_names if k in shapes})
        self._exec = self._exec.reshape(**new)
        self._data_shapes = {k: new[k] for k in self._data_names}
        self._label_shapes = {k: self._exec.arg_dict[k].shape for k in self._label_shapes}

    def _batch_inputs(self, batch: Any, with_labels: bool) -> dict:
        """Map a DataBatch's arrays onto data and label names (shapes checked)."""
        inputs = self._named(batch.data, getattr(batch, "provide_data", None),
                             self._data_names, "data")
        missing = [n for n in self._data_names if n not in inputs]
        if missing:
            raise ParamError(f"Module.forward: the batch has no data array named "
                             f"{missing[0]!r}; its provide_data names "
                             f"{sorted(inputs)}. Name the data {self._data_names}.")
        if with_labels and self._label_names and batch.label:
            inputs.update(self._named(batch.label, getattr(batch, "provide_label", None),
                                      self._label_names, "label"))
        self._check_shapes({k: tuple(v.shape) for k, v in inputs.items()})
        # MXNet copies batches into the executor's device; iterators live on the
        # CPU by default while the module may train on a GPU.
        ctx = self._context[0]
        return {k: v if getattr(v, "context", ctx) == ctx else NDArray(to_jax(v, ctx), ctx)
                for k, v in inputs.items()}

    def _check_shapes(self, shapes: dict[str, tuple], what: str = "forward") -> None:
        """Raise ShapeError when input shapes would change a parameter's shape."""
        bound = self._exec.arg_dict
        if all(bound[k].shape == s for k, s in shapes.items()):
            return
        key = tuple(sorted(shapes.items()))
        if key in self._shapes_ok:
            return
        inputs = {k: shapes.get(k, bound[k].shape) for k in self._data_names}
        inputs.update({k: s for k, s in shapes.items() if k in self._label_names})
        where = ", ".join(f"{k}={s}" for k, s in shapes.items())
        try:
            arg_shapes, _, aux_shapes = self._symbol.infer_shape(**inputs)
        except MXNetError as err:
            raise ShapeError(f"Module.{what}: the batch does not fit the network "
                             f"({where}); the module is bound with "
                             f"{ {k: bound[k].shape for k in shapes} }. {err}") from None
        have = {**{n: bound[n].shape for n in self._param_names},
                **{n: a.shape for n, a in self._exec.aux_dict.items()}}
        wants = dict(zip(self._symbol.list_arguments(), arg_shapes))
        wants.update(zip(self._aux_names, aux_shapes))
        for name, shape in have.items():
            if tuple(wants[name]) != shape:
                raise ShapeError(
                    f"Module.{what}: a batch with {where} would need parameter {name!r} "
                    f"of shape {tuple(wants[name])}, but the module's is {shape} (bound "
                    f"with { {k: bound[k].shape for k in shapes} }). Only the batch size "
                    "may change; check the data's shape.")
        self._shapes_ok.add(key)

    @staticmethod
    def _named(arrays: Any, descs: Any, names: list[str], what: str) -> dict:
        arrays = as_list(arrays)
        keys = [d[0] if isinstance(d, tuple) else d.name for d in descs] if descs else names
        if len(arrays) != len(keys):
            raise ShapeError(f"Module.forward: the batch has {len(arrays)} {what} arrays "
                             f"but the module expects {len(keys)} ({keys}).")
        return {k: a for k, a in zip(keys, arrays) if k in names}

    def backward(self, out_grads: Any = None) -> None:
        """Gradients of the last training forward."""
        self._require(binded=True, params=True, what="backward")
        self._require_training("backward")
        self._exec.backward(out_grads)

    def _require_training(self, what: str) -> None:
        if not self.for_training:
            raise ParamError(f"Module.{what}: the module is bound for inference "
                             "(for_training=False); bind(..., for_training=True, "
                             "force_rebind=True) to train it.")

    def update(self) -> None:
        """Apply the optimizer to the gradients of the last backward (compiled)."""
        self._require(binded=True, params=True, optimizer=True, what="update")
        trainer = self._trainer_for(None)
        grads = {n: self._exec.grad_dict[n]._data for n in trainer.program.param_names}
        rates = self._optimizer.host_rates(self._step_count, 1)
        self._step_count += 1
        lr = None if rates is None else float(rates[0])
        self._train_state = trainer.apply_gradients(self._state_now(), grads, lr=lr)
        self._write_params(self._train_state.params)

    def update_metric(self, eval_metric: Any, labels: Any, pre_sliced: bool = False) -> None:
        """Accumulate ``eval_metric`` on the last outputs (padded rows excluded).

        As in MXNet, the metric gets ``{label name: label}`` and ``{output name:
        output}`` (``update_dict``): one named for a head counts that head only.
        """
        outputs, labels = self.get_outputs(), as_list(labels)
        keep = outputs[0].shape[0] - self._last_pad
        if self._last_pad:
            labels = [NDArray(x._data[:keep], x.context) for x in labels]
            outputs = [NDArray(o._data[:keep], o.context) for o in outputs]
        eval_metric.update_dict(dict(zip(self._label_names, labels)),
                                dict(zip(self.output_names, outputs)))

    def get_outputs(self, merge_multi_context: bool = True) -> list[NDArray]:
        """The outputs of the last forward."""
        self._require(binded=True, params=True, what="get_outputs")
        return self._exec.outputs

    def get_input_grads(self, merge_multi_context: bool = True) -> list[NDArray]:
        """Gradients w.r.t. the data inputs (bind with inputs_need_grad=True)."""
        if not self.inputs_need_grad:
            raise ParamError("Module.get_input_grads: bind with inputs_need_grad=True.")
        return [self._exec.grad_dict[n] for n in self._data_names]

    def _predict_array(self, data: Any, always_output_list: bool) -> Any:
        """MXNet: an NDArray or NumPy array is one batch for the first data input."""
        value = data if isinstance(data, NDArray) else NDArray(
            to_jax(np.asarray(data, np.float32), self._context[0]), self._context[0])
        self._require(binded=True, params=True, what="predict")
        self.forward(DataBatch([value], None), is_train=False)
        outs = self.get_outputs()
        return outs if always_output_list or len(outs) > 1 else outs[0]

    def train_epoch(self, epoch: int, train_data: Any, metric: Any,
                    callbacks: list) -> None:
        """Train one epoch on the compiled fast path (no logging, no reset)."""
        self._require(binded=True, params=True, optimizer=True, what="fit")
        self._require_training("fit")
        if getattr(train_data, "device_epoch", None) is not None:
            train_data = OnDevice(train_data, self._context[0], self._placed)
        loop = EpochLoop(self._trainer_for(metric), self)
        loop.start(self._state_now(), self._step_count)
        try:
            loop.run(epoch, train_data, metric, callbacks, where="Module.fit",
                     fixed={n: self._exec.arg_dict[n]._data
                            for n in self._fixed_param_names})
        finally:
            self._step_count = loop.step_count

    # -- checkpoints ----------------------------------------------------------
    def save_params(self, fname: str) -> None:
        """Save parameters in MXNet's ``.params`` format (atomically)."""
        arg_params, aux_params = self.get_params()
        checkpoint.save_params(fname, arg_params, aux_params)

    def load_params(self, fname: str) -> None:
        """Load parameters saved by :meth:`save_params` (mxlite or MXNet)."""
        arg_params, aux_params = checkpoint.split_params(load(fname), fname)
        self.set_params(arg_params, aux_params)

    def save_checkpoint(self, prefix: str, epoch: int, save_optimizer_states: bool = False,
                        remove_amp_cast: bool = True) -> None:
        """``prefix-symbol.json``, ``prefix-%04d.params`` (and ``.states``), then
        the manifest that makes them one checkpoint; with the optimizer states
        it also holds what ``fit(..., resume_from=prefix)`` needs to continue
        exactly (the data iterator's position when saved during ``fit``)."""
        arg_params, aux_params = self.get_params()
        states, state = None, None
        if save_optimizer_states:
            self._require(optimizer=True, what="save_checkpoint")
            states = (self._train_state.opt, self._step_count)
            state = resume.resume_state(self)
        checkpoint.write_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params,
                                    states=states, resume=state)
        if save_optimizer_states:
            self.logger.info('Saved optimizer state to "%s"',
                             checkpoint.states_file(prefix, epoch))

    @classmethod
    def load(cls, prefix: str, epoch: int, load_optimizer_states: bool = False,
             **kwargs: Any) -> Module:
        """A Module from a checkpoint; parameters are set when it is bound."""
        symbol, arg_params, aux_params = checkpoint.load_checkpoint(prefix, epoch)
        module = cls(symbol=symbol, **kwargs)
        module._preloaded = (arg_params, aux_params)
        if load_optimizer_states:
            states = f"{prefix}-{int(epoch):04d}.states"
            if not os.path.isfile(states):
                raise FileNotFoundError(
                    f"Module.load: load_optimizer_states=True but {states!r} does not "
                    "exist; save with save_checkpoint(..., save_optimizer_states=True).")
            module._preload_states = states
        return module

    def save_optimizer_states(self, fname: str) -> None:
        """Write the optimizer state (no pickle) atomically."""
        self._require(optimizer=True, what="save_optimizer_states")
        checkpoint.save_states(fname, self._train_state.opt, self._step_count)

    def load_optimizer_states(self, fname: str) -> None:
        """Read a state file written by :meth:`save_optimizer_states`."""
        self._require(optimizer=True, what="load_optimizer_states")
        opt, self._step_count = checkpoint.load_states(fname, self._train_state.opt)
        self._train_state = self._train_state._replace(
            opt=opt, step=jax.numpy.asarray(self._step_count, jax.numpy.int32))
        self._optimizer.num_update = self._step_count
