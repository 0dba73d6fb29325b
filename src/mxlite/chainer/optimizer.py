"""``chainer.Optimizer``: ``setup(link)``, ``update(lossfun, *args)``, hooks, ``t``.

The rule (Chainer's formulas, ``mxlite.optimizer.chainer``) and the training
state live in the shared packages: a :class:`~mxlite.training.traced.DynamicTrainer`
holds the parameters' optimizer slots and the step counter. ``update(model,
x, t)`` first tries the compiled path (the model traced once per structure,
then one XLA call per update); a model that cannot be traced runs eagerly
in Chainer's order (loss, ``cleargrads``, ``backward``, update), and
``update()`` after a manual ``backward()`` applies the same rule.
"""

from __future__ import annotations

from typing import Any

from ..base import MXNetError, ParamError
from ..training import non_finite_error
from ..training.traced import Binding, DynamicTrainer, is_traced
from . import configuration
from .link import Link
from .reporter import get_current_reporter
from .variable import Variable, structure_version

__all__ = ["Optimizer", "GradientMethod", "UpdateRule", "Hyperparameter"]


class Hyperparameter:
    """``optimizer.hyperparam``: the rule's hyper-parameters by attribute."""

    def __init__(self, rule: Any) -> None:
        object.__setattr__(self, "_rule", rule)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rule, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._rule, name, value)

    def get_dict(self) -> dict:
        return {name: getattr(self._rule, name) for name in self._rule._args}


class UpdateRule:
    """A parameter's view of the optimizer: its update count and state slots."""

    def __init__(self, optimizer: Optimizer, path: str) -> None:
        self._optimizer, self._path = optimizer, path
        self.t = 0
        self.enabled = True
        self.hyperparam = optimizer.hyperparam

    @property
    def state(self) -> dict | None:
        return self._optimizer._trainer.slots().get(self._path)

    def serialize(self, serializer: Any) -> None:
        self.t = serializer("t", self.t)
        state = self.state
        loaded = {}
        for name in self._optimizer.rule._slot_names():
            value = serializer(name, None if state is None else state[name])
            if value is None:
                return
            loaded[name] = value
        if state is None or any(loaded[n] is not state[n] for n in loaded):
            self._optimizer._load_slots(self._path, loaded)


class Optimizer:
    """Base of Chainer's optimizers: a shared rule plus Chainer's bookkeeping."""

    rule_class: Any = None
    _rule_args: tuple[str, ...] = ()

    def __init__(self, **hyper: Any) -> None:
        object.__setattr__(self, "rule", type(self).rule_class(**hyper))
        object.__setattr__(self, "hyperparam", Hyperparameter(self.rule))
        object.__setattr__(self, "target", None)
        object.__setattr__(self, "t", 0)
        object.__setattr__(self, "epoch", 0)
        object.__setattr__(self, "_trainer", None)
        object.__setattr__(self, "_rules", {})
        object.__setattr__(self, "_view", None)

    # hyper-parameters read and written by name, as in Chainer (optimizer.lr = 0.1)
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        rule = self.__dict__.get("rule")
        if rule is not None and name in getattr(rule, "_args", ()):
            return getattr(rule, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        rule = self.__dict__.get("rule")
        if rule is not None and name in getattr(rule, "_args", ()):
            setattr(rule, name, value)
        else:
            object.__setattr__(self, name, value)

    # -- setup ---------------------------------------------------------------------
    def setup(self, link: Link) -> Optimizer:
        """Attach to ``link`` (parameters may still be uninitialized)."""
        if not isinstance(link, Link):
            raise ParamError(f"{type(self).__name__}.setup: expected a Link (a Chain or "
                             f"a link); got {type(link).__name__}.")
        self.target, self.t, self.epoch = link, 0, 0
        self._view = _ChainView(self, link)
        self._trainer = DynamicTrainer(self.rule, self._view.binding(),
                                       where=f"{type(self).__name__}.update")
        self._rules = {}
        for path, param in link.namedparams():
            param.update_rule = self._rule_for(path)
        return self

    def _rule_for(self, path: str) -> UpdateRule:
        rule = self._rules.get(path)
        if rule is None:
            rule = self._rules[path] = UpdateRule(self, path)
        return rule

    def _need_target(self, where: str) -> None:
        if self.target is None:
            raise MXNetError(f"{type(self).__name__}.{where}: call setup(link) first; "
                             "this optimizer has no target.")

    # -- update -----------------------------------------------------------------------
    def update(self, lossfun: Any = None, *args: Any, **kwds: Any) -> None:
        """One step: ``lossfun(*args)``, its gradients, then the rule.

        Without ``lossfun``, the gradients already in the parameters are used.
        """
        self._need_target("update")
        loss_scale = kwds.pop("loss_scale", None)
        if lossfun is not None:
            if loss_scale is None and self._traced(lossfun, args, kwds):
                return
            loss = lossfun(*args, **kwds)
            self.target.cleargrads()
            _check_loss(type(self).__name__, loss)
            loss.backward(loss_scale=loss_scale)
        grads = {}
        for path, param in self.target.namedparams(include_uninit=False):
            if param.grad is not None:
                grads[path] = param.grad
                self._rule_for(path).t += 1
                param.update_rule = self._rules[path]
        if loss_scale is not None:
            grads = {path: g / loss_scale for path, g in grads.items()}
        self._trainer.apply_gradients(grads, self.t)
        self.t += 1

    def _traced(self, lossfun: Any, args: tuple, kwds: dict) -> bool:
        done, _ = self._trainer.traced_update(lossfun, args, kwds,
                                              structure=self._structure, t=self.t)
        if not done:
            return False
        self.t += 1
        frozen = self._trainer.last_frozen
        for path, param in self._view.named():
            param._grad_array = None
            rule = self._rules.get(path) or self._rule_for(path)
            if path not in frozen:  # as Chainer: no gradient, no update, no count
                rule.t += 1
            param.update_rule = rule
        return True

    def _structure(self) -> tuple:
        return (self._view.key(), configuration.flags(), self.rule.structure(()))

    def _load_slots(self, path: str, slots: dict) -> None:
        self._trainer.set_slots({path: slots}, self.t)

    # -- epochs, hooks, state --------------------------------------------------------------
    def new_epoch(self, auto: bool = False) -> None:
        """Count an epoch (``optimizer.epoch``); raise NonFiniteError if an
        update of the epoch went NaN/Inf (an epoch end is a sync point)."""
        self.epoch += 1
        self.check_finite()

    def check_finite(self) -> None:
        """Raise NonFiniteError if an update so far produced NaN or Inf in the
        loss or a gradient (mxlite; reads one small array from the device)."""
        found = None if self._trainer is None else self._trainer.non_finite()
        if found is not None:
            raise non_finite_error(f"{type(self).__name__}.update", found,
                                   f"update {found[0]}")

    def add_hook(self, hook: Any, name: str | None = None, timing: str = "auto") -> None:
        """Run ``hook`` (``WeightDecay``, ``GradientClipping``...) on the gradients
        before every update, inside the compiled step."""
        self.rule.add_hook(hook, name=name, timing=timing)

    def remove_hook(self, name: str) -> None:
        self.rule.remove_hook(name)

    def serialize(self, serializer: Any) -> None:
        """Save or load ``t``, ``epoch`` and every parameter's state."""
        self.t = serializer("t", self.t)
        self.epoch = serializer("epoch", self.epoch)
        if self.target is None:
            return
        for path, _ in self.target.namedparams():
            self._rule_for(path).serialize(serializer[path[1:]])


class GradientMethod(Optimizer):
    """Chainer's gradient-based optimizers (every built-in one is)."""


def _check_loss(where: str, loss: Any) -> None:
    if not isinstance(loss, Variable):
        raise MXNetError(f"{where}.update: the loss function must return a Variable; got "
                         f"{type(loss).__name__}.")


# -- the binding: how the shared trainer sees a Chain ------------------------------------
class _ChainView:
    """The optimizer's target as the shared trainer's :class:`Binding` needs it.

    Parameter and link lookups are cached per :func:`link.structure_version`
    (bumped whenever any link gains or loses a parameter, child or
    persistent, or a parameter is created), so a compiled update does not
    walk the tree several times per batch.
    """

    def __init__(self, optimizer: Optimizer, target: Link) -> None:
        self.optimizer, self.target = optimizer, target
        self._version = -1
        self._params: list = []
        self._links: dict = {}
        self._persistent: list = []
        self._where: dict = {}

    def refresh(self) -> None:
        version = structure_version()
        if version != self._version:
            self._params = list(self.target.namedparams(include_uninit=False))
            self._links = dict(self.target.namedlinks())
            self._persistent = [(f"{path.rstrip('/')}/{name}", link, name)
                                for path, link in self._links.items()
                                for name in link._persistent]
            self._key = tuple((path, p.shape, p.dtype, p._ctx.platform)
                              for path, p in self._params)
            self._where = {}
            self._version = version

    def key(self) -> tuple:
        """The parameters' paths, shapes, dtypes and platforms."""
        self.refresh()
        return self._key

    def named(self) -> list:
        self.refresh()
        return self._params

    def binding(self) -> Binding:
        return Binding(self.params, self.set_params, self.aux, self.set_aux, _unwrap,
                       _wrap, self.loss_of, self.observe, self.publish)

    def params(self) -> dict:
        return {path: p._data for path, p in self.named()}

    def set_params(self, values: dict) -> None:
        for path, param in self.named():
            if path in values:
                param._data = values[path]

    def aux(self) -> dict:
        self.refresh()
        out = {}
        for key, link, name in self._persistent:
            value = link.__dict__[name]
            if hasattr(value, "shape") and hasattr(value, "dtype"):
                out[key] = getattr(value, "_data", value)
        return out

    def set_aux(self, values: dict) -> None:
        self.refresh()
        for key, link, name in self._persistent:
            if key in values:
                object.__setattr__(link, name, values[key])

    def loss_of(self, result: Any) -> Any:
        where = type(self.optimizer).__name__
        _check_loss(where, result)
        if result.size != 1:
            raise MXNetError(f"{where}.update: the loss has shape {result.shape}; it must "
                             "have one element.")
        return result._data

    def observe(self) -> dict:
        """Traced values the call left in link attributes or in the reporter."""
        self.refresh()
        seen = {}
        for path, link in self._links.items():
            skip = {*link._params, *link._persistent, *getattr(link, "_child_names", ())}
            for name, value in link.__dict__.items():
                data = getattr(value, "_data", value)
                if name not in skip and is_traced(data):
                    seen[f"attr:{path}:{name}"] = data
        reporter = get_current_reporter()
        if reporter is not None and reporter.observation is not None:
            for key, value in reporter.observation.items():
                if is_traced(getattr(value, "_data", value)):
                    seen[f"report:{key}"] = getattr(value, "_data", value)
        return seen

    def publish(self, values: dict, loss: Any) -> None:
        """Put the step's results where the user reads them (device arrays)."""
        ctx = self.target._ctx
        reporter = None
        for key, value in values.items():
            where = self._where.get(key)
            if where is None:
                kind, rest = key.split(":", 1)
                where = self._where[key] = (
                    (self._links[rest.rsplit(":", 1)[0]], rest.rsplit(":", 1)[1])
                    if kind == "attr" else (None, rest))
            link, name = where
            if link is not None:
                object.__setattr__(link, name, Variable._wrap(value, ctx))
                continue
            reporter = reporter or get_current_reporter()
            if reporter is not None and reporter.observation is not None:
                reporter.observation[name] = Variable._wrap(value, ctx)


def chain_view(link: Link) -> _ChainView:
    """``link`` as the shared core's :class:`Binding` sees it (for a compiled
    forward, e.g. the Evaluator's; ``binding()`` gives the Binding)."""
    return _ChainView(None, link)


def _unwrap(leaf: Any) -> Any:
    if isinstance(leaf, Variable):
        return leaf._data
    if hasattr(leaf, "shape") and hasattr(leaf, "dtype") and not isinstance(leaf, type):
        return leaf
    return None


def _wrap(array: Any, leaf: Any) -> Any:
    if isinstance(leaf, Variable):
        return Variable._wrap(array, leaf._ctx)
    return array
