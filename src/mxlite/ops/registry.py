"""The operator registry: every operator is declared once, as data.

An :class:`OpDef` carries MXNet's registry facets: parameters, argument and
auxiliary-state names, shape and dtype rules and the JAX lowering (one per
platform where that matters). ``mx.nd``, ``mx.sym`` and the dialects are all
generated from, or call into, these definitions.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base import MXNetError, OpError, ParamError, ShapeError, did_you_mean
from .params import Param, Params, parse_params

__all__ = ["OpDef", "register_op", "get_op", "list_ops", "has_op", "generate_namespace"]

InferShape = Callable[[Params, list], tuple[list, list, list]]


def _names(value: Sequence[str] | Callable[[Params], Sequence[str]]) -> Callable:
    if callable(value):
        return value
    fixed = list(value)
    return lambda p: fixed


def _same_type(p: Params, in_types: list, n_out: int, n_aux: int):
    known = next((t for t in in_types if t is not None), None)
    return [known if t is None else t for t in in_types], [known] * n_out, [known] * n_aux


@dataclass(eq=False)
class OpDef:
    """One operator: what it takes, what it returns, and how it lowers to JAX.

    The lowering for platform ``P`` is ``lower[P]`` (else ``lower['default']``)
    and is called as ``fn(p, *arguments, *aux, [is_train=..], [key=..])``. It
    returns an array, a tuple of arrays for several outputs, or, for operators
    with auxiliary states, ``(outputs, new_aux_tuple)``.

    ``channel_swap(p, platform)``, where given, says how the operator runs on
    a first argument held with its batch and channel axes swapped ((C, N,
    H, W) instead of (N, C, H, W)): ``(fn, start)`` with ``fn`` a lowering
    that takes and returns that layout, or None where it cannot. The graph
    compiler keeps chains of such operators in the swapped layout (``start``:
    the operator begins a chain; otherwise it only continues one).
    """

    name: str
    params: tuple[Param, ...]
    arguments: Callable[[Params], Sequence[str]]
    infer_shape: InferShape
    lower: Mapping[str, Callable]
    aux: Callable[[Params], Sequence[str]] = lambda p: []
    outputs: Callable[[Params], Sequence[str]] = lambda p: ["output"]
    infer_type: Callable | None = None
    needs_key: bool = False
    needs_train: bool = False
    doc: str = ""
    aliases: tuple[str, ...] = ()
    variadic: str | None = None
    hidden: bool = False
    extra: dict = field(default_factory=dict)
    channel_swap: Callable[[Params, str], tuple[Callable, bool] | None] | None = None
    #: For a loss whose input is a class label: ``label_input(params) ->
    #: (input index, ignored value or None)``, or None when the label is not
    #: a class index under these params. Training tracks such labels' range.
    label_input: Callable[[Params], tuple[int, float | None] | None] | None = None

    @property
    def hint(self) -> str:
        """Prefix of automatic node names: ``fullyconnected0``."""
        return self.name.lower()

    def parse(self, kwargs: Mapping[str, Any], node: str | None = None) -> Params:
        """Validate MXNet-style keyword parameters for this operator."""
        return parse_params(self.name, node, self.params, kwargs)

    def lowering(self, platform: str) -> Callable:
        """The JAX function for a platform (``'cpu'``, ``'gpu'``)."""
        return self.lower.get(platform) or self.lower["default"]

    def where(self, node: str | None) -> str:
        return f"{self.name}(name={node!r})" if node else self.name

    def run_infer_shape(self, p: Params, in_shapes: list, node: str | None = None):
        """Apply the shape rule, naming this operator and node in errors."""
        try:
            return self.infer_shape(p, list(in_shapes))
        except ShapeError as err:
            raise ShapeError(f"{self.where(node)}: {err}") from None

    def infer_and_check(self, p: Params, in_shapes: list, labels: Sequence[str],
                        node: str | None = None):
        """Infer shapes and check every known input against what the op needs.

        ``labels`` name the inputs as the user knows them (argument names for
        ``mx.nd``; producer or variable names in a graph), so a mismatch reads
        ``FullyConnected(name='fc2'): input 'act1' has shape (100, 128) but
        'fc2_weight' was given (64, 100); 'weight' must be (64, 128).``
        """
        ins, outs, aux = self.run_infer_shape(p, in_shapes, node)
        names = list(self.arguments(p))
        for i, (given, want) in enumerate(zip(in_shapes, ins)):
            if given is None or want is None or tuple(given) == tuple(want):
                continue
            first = f"input {labels[0]!r} has shape {in_shapes[0]} but " if i else ""
            raise ShapeError(
                f"{self.where(node)}: {first}{labels[i]!r} was given "
                f"{tuple(given)}; {names[i]!r} must be {tuple(want)}."
            )
        return ins, outs, aux

    def run_infer_type(self, p: Params, in_types: list):
        n_out, n_aux = len(self.outputs(p)), len(self.aux(p))
        if self.infer_type is None:
            return _same_type(p, in_types, n_out, n_aux)
        return self.infer_type(p, list(in_types), n_out, n_aux)

    def apply(self, p: Params, args: Sequence, aux: Sequence = (), *,
              platform: str = "cpu", is_train: bool = False, key: Any = None,
              node: str | None = None, lowering: Callable | None = None
              ) -> tuple[list, list]:
        """Run the lowering (or ``lowering``); return ``(outputs, new_aux)``.

        Called while tracing or eagerly. A failure is re-raised once with the
        operator, node and input specs attached.
        """
        kwargs = {}
        if self.needs_train:
            kwargs["is_train"] = is_train
        if self.needs_key:
            kwargs["key"] = key
        try:
            fn = lowering or self.lowering(platform)
            result = fn(p, *args, *aux, **kwargs)
        except MXNetError:
            raise
        except Exception as err:
            specs = ", ".join(
                f"{n}={_spec(a)}" for n, a in zip(self.arguments(p), args)
            )
            raise OpError(
                f"while lowering {self.where(node)} with {specs}: {err}"
            ) from err
        new_aux: Any = ()
        if self.aux(p):
            result, new_aux = result
        outs = list(result) if isinstance(result, tuple) else [result]
        return outs, list(new_aux)

    def docstring(self) -> str:
        """MXNet-style documentation generated from the declaration."""
        lines = [self.doc.strip() or self.name, "", "Parameters", "----------"]
        for spec in self.params:
            default = "required" if spec.default is not None and repr(
                spec.default) == "REQUIRED" else f"default={spec.default!r}"
            lines.append(f"{spec.name} : {spec.describe()}, {default}")
            if spec.doc:
                lines.append(f"    {spec.doc}")
        return "\n".join(lines)


def _spec(array: Any) -> str:
    shape = getattr(array, "shape", None)
    dtype = getattr(array, "dtype", None)
    if shape is None:
        return repr(array)
    return f"{np.dtype(dtype).name}{tuple(shape)}"


_OPS: dict[str, OpDef] = {}


def register_op(name: str, *, params: Sequence[Param] = (),
                arguments: Sequence[str] | Callable = ("data",),
                infer_shape: InferShape, lower: Callable | Mapping[str, Callable],
                aux: Sequence[str] | Callable = (),
                outputs: Sequence[str] | Callable = ("output",),
                **kwargs: Any) -> OpDef:
    """Declare an operator (and its aliases) in the registry."""
    if name in _OPS:
        raise MXNetError(f"operator {name!r} is registered twice")
    opdef = OpDef(
        name=name, params=tuple(params), arguments=_names(arguments),
        infer_shape=infer_shape,
        lower=lower if isinstance(lower, Mapping) else {"default": lower},
        aux=_names(aux), outputs=_names(outputs), **kwargs,
    )
    for key in (name, *opdef.aliases):
        if key in _OPS:
            raise MXNetError(f"operator name {key!r} is registered twice")
        _OPS[key] = opdef
    return opdef


def has_op(name: str) -> bool:
    """Whether ``name`` is an operator or an alias of one."""
    return name in _OPS


def get_op(name: str) -> OpDef:
    """Look an operator up by name or alias; suggest a close name on a miss."""
    try:
        return _OPS[name]
    except KeyError:
        raise ParamError(f"unknown operator {name!r}.{did_you_mean(name, _OPS)}") from None


def list_ops() -> list[str]:
    """Every canonical operator name (aliases excluded), sorted."""
    return sorted({op.name for op in _OPS.values()})


def all_names() -> dict[str, OpDef]:
    """Every name and alias with its definition (for front-end generation)."""
    return dict(_OPS)


def generate_namespace(package: str, namespace: dict, exported: list,
                       make: Callable[[str], Callable]) -> tuple:
    """Fill a front end (``mx.nd``, ``mx.sym``) with one function per operator.

    Every name and alias goes into the returned ``op`` and ``_internal``
    modules; public names (no leading ``_``) also go into ``namespace`` and
    ``exported`` unless the front end already defines them.
    """
    op_module = types.ModuleType(f"{package}.op", "Every registry operator.")
    internal = types.ModuleType(f"{package}._internal", "Operators with a leading _.")
    for called in sorted(_OPS):
        function = make(called)
        setattr(op_module, called, function)
        setattr(internal, called, function)
        if not called.startswith("_") and called not in namespace:
            namespace[called] = function
            exported.append(called)
    return op_module, internal
