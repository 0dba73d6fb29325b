"""Symbol: MXNet's symbolic graph, built by calling operators on symbols.

A Symbol is a list of graph entries ``(node, index)``: its outputs (see
``graph.py`` for the nodes).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._fileio import HEAD_BYTES, atomic_write_bytes, describe_file_start
from ..base import FormatError, GraphError, ParamError, ShapeError
from ..ops import get_op
from ..ops.params import to_attr_string
from . import json_io, naming
from .graph import (
    HIDDEN_KEYS,
    Node,
    aux_variables,
    dtype_flag,
    hidden_key,
    set_input_var_attrs,
    topo_order,
)
from .infer import infer_shapes, infer_types

__all__ = ["Group", "Symbol", "Variable", "create", "load", "load_json", "var"]


class _OutputIndexError(GraphError, IndexError):
    """An output index past the end (IndexError, as MXNet, ends iteration)."""


class Symbol:
    """A symbolic expression with one or more outputs.

    Example:
        >>> import mxlite as mx
        >>> data = mx.sym.var('data')
        >>> fc = mx.sym.FullyConnected(data, num_hidden=128, name='fc1')
        >>> fc.list_arguments()
        ['data', 'fc1_weight', 'fc1_bias']
    """

    __slots__ = ("_heads",)

    def __init__(self, heads: Sequence[tuple[Node, int]]) -> None:
        self._heads = list(heads)

    # -- structure --------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The name of the node behind every output (None for a group of nodes)."""
        node = self._single_node()
        return None if node is None else node.name

    def _single_node(self) -> Node | None:
        node = self._heads[0][0]
        return node if all(n is node for n, _ in self._heads) else None

    def _order(self) -> list[Node]:
        return topo_order(self._heads)

    def list_arguments(self) -> list[str]:
        """Names of the inputs that are not auxiliary states, in graph order."""
        order = self._order()
        aux = aux_variables(order)
        return [n.name for n in order if n.op is None and id(n) not in aux]

    def list_auxiliary_states(self) -> list[str]:
        """Names of the auxiliary states (e.g. BatchNorm's moving statistics)."""
        order = self._order()
        aux = aux_variables(order)
        return [n.name for n in order if n.op is None and id(n) in aux]

    def list_inputs(self) -> list[str]:
        """All variable names, arguments and auxiliary states, in graph order."""
        return [n.name for n in self._order() if n.op is None]

    def list_outputs(self) -> list[str]:
        """Output names: ``fc1_output``, or a variable's own name."""
        return [node.output_names()[i] for node, i in self._heads]

    def __len__(self) -> int:
        return len(self._heads)

    def __iter__(self) -> Iterator[Symbol]:
        return (Symbol([h]) for h in self._heads)

    def __getitem__(self, index: int | str) -> Symbol:
        """One output, by position or by name (``internals['fc1_output']``)."""
        if isinstance(index, str):
            names = self.list_outputs()
            if names.count(index) != 1:
                problem = "several outputs have" if index in names else "no output has"
                raise GraphError(
                    f"Symbol[{index!r}]: {problem} that name; outputs are {names}."
                )
            index = names.index(index)
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise GraphError(f"Symbol[{index!r}]: an output is chosen by an int or a "
                             f"name; got {type(index).__name__}.")
        if not -len(self._heads) <= index < len(self._heads):
            raise _OutputIndexError(f"Symbol[{index}]: index out of range; the symbol "
                                    f"has {len(self._heads)} output(s).")
        return Symbol([self._heads[index]])

    def get_internals(self) -> Symbol:
        """A group of every output of every node (index it by output name)."""
        heads = []
        for node in self._order():
            heads.extend((node, i) for i in range(len(node.output_names())))
        return Symbol(heads)

    def get_children(self) -> Symbol | None:
        """The inputs of the head nodes, as a group (None for variables)."""
        inputs, seen = [], set()
        for node, _ in self._heads:
            if id(node) not in seen:
                seen.add(id(node))
                inputs.extend(node.inputs)
        return Symbol(inputs) if inputs else None

    # -- attributes -------------------------------------------------------
    def attr(self, key: str) -> str | None:
        """A node attribute: a parameter, ``name``, ``op_name`` or a user attribute.

        Hidden keys are found either way: ``attr('lr_mult')`` reads
        ``__lr_mult__``. None for a group of several nodes, as in MXNet.
        """
        node = self._single_node()
        if node is None:
            return None
        if key == "name":
            return node.name
        if key == "op_name":
            return "null" if node.op is None else node.op.name
        attrs = self.list_attr()
        if key not in attrs and key in HIDDEN_KEYS:
            return attrs.get(f"__{key}__")
        return attrs.get(key)

    def list_attr(self, recursive: bool = False) -> dict[str, str]:
        """Attributes of the head node (or of every node, keys ``node$attr``)."""
        if recursive:
            return {f"{node}${k}": v for node, attrs in self.attr_dict().items()
                    for k, v in attrs.items()}
        node = self._heads[0][0]
        out = dict(node.params.given) if node.params is not None else {}
        out.update(node.attrs)
        return out

    def attr_dict(self) -> dict[str, dict[str, str]]:
        """Every node's attributes, keyed by node name."""
        out = {}
        for node in self._order():
            attrs = Symbol([(node, 0)]).list_attr()
            if attrs:
                out[node.name] = attrs
        return out

    def _set_attr(self, **kwargs: str) -> None:
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise ParamError(f"Symbol._set_attr: {key} must be a string; got {value!r}.")
            self._heads[0][0].attrs[hidden_key(key)] = value

    # -- inference --------------------------------------------------------
    def _known(self, what: str, args: tuple, kwargs: dict) -> dict:
        if args:
            names = self.list_arguments()
            if len(args) > len(names):
                raise ShapeError(f"infer_{what}: {len(args)} positional values for "
                                 f"{len(names)} arguments.")
            return {**dict(zip(names, args)), **kwargs}
        return dict(kwargs)

    def infer_shape(self, *args: Any, **kwargs: Any) -> tuple[list, list, list]:
        """Infer (argument, output, aux) shapes from some known input shapes.

        Unlike MXNet, which returned ``(None, None, None)`` and logged a warning
        when shapes were missing, this raises a ShapeError naming them.

        Example:
            >>> import mxlite as mx
            >>> fc = mx.sym.FullyConnected(mx.sym.var('data'), num_hidden=8, name='fc')
            >>> fc.infer_shape(data=(2, 5))[0]
            [(2, 5), (8, 5), (8,)]
        """
        known = self._known("shape", args, kwargs)
        arg_shapes, outs, aux = infer_shapes(self, known)
        missing = [n for n, s in {**arg_shapes, **aux}.items() if s is None]
        if missing or any(o is None for o in outs):
            given = {k: v for k, v in known.items() if v is not None}
            raise ShapeError(
                f"infer_shape: cannot decide the shapes of {missing or 'the outputs'} "
                f"from {given}; give more input shapes, or call "
                "infer_shape_partial() to see what is known."
            )
        return list(arg_shapes.values()), outs, list(aux.values())

    def infer_shape_partial(self, *args: Any, **kwargs: Any) -> tuple[list, list, list]:
        """Like :meth:`infer_shape`, with ``()`` where a shape is unknown."""
        args, outs, aux = infer_shapes(self, self._known("shape", args, kwargs))
        def fill(s: Any) -> Any:
            return () if s is None else s

        return ([fill(s) for s in args.values()], [fill(s) for s in outs],
                [fill(s) for s in aux.values()])

    def infer_type(self, *args: Any, **kwargs: Any) -> tuple[list, list, list]:
        """Infer (argument, output, aux) dtypes as NumPy types (None if unknown)."""
        args, outs, aux = infer_types(self, self._known("type", args, kwargs))
        def to_np(t: Any) -> Any:
            return None if t is None else np.dtype(t).type

        return ([to_np(t) for t in args.values()], [to_np(t) for t in outs],
                [to_np(t) for t in aux.values()])

    # -- serialization ----------------------------------------------------
    def tojson(self) -> str:
        """The graph in MXNet's JSON format (loads in MXNet 1.x)."""
        return json_io.dumps(self._heads)

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write :meth:`tojson` to ``fname`` atomically."""
        atomic_write_bytes(fname, self.tojson().encode("utf-8"))

    # -- composition ------------------------------------------------------
    def __call__(self, *args: Symbol, **kwargs: Symbol) -> Symbol:
        """Compose: replace free variables by other symbols (a copy is returned).

        Positional symbols replace ``list_arguments()`` in order; keywords
        replace the variable of that name.
        """
        name = kwargs.pop("name", None)
        arg_names = self.list_arguments()
        if len(args) > len(arg_names):
            raise GraphError(f"compose: {len(args)} symbols given for {len(arg_names)} arguments.")
        subst = dict(zip(arg_names, args))
        for key, value in kwargs.items():
            if key not in self.list_inputs():
                raise GraphError(f"compose: {key!r} is not an argument; arguments are {arg_names}.")
            subst[key] = value
        for key, value in subst.items():
            if not isinstance(value, Symbol) or len(value) != 1:
                raise GraphError(f"compose: {key!r} must be replaced by a single-output Symbol.")
        entries = {k: v._heads[0] for k, v in subst.items()}
        result = _substitute(self._heads, entries)
        head = result._heads[0][0]
        if name and all(head is not node for node, _ in entries.values()):
            head.name = name
        return result

    def __copy__(self) -> Symbol:
        return _substitute(self._heads, {})

    def __deepcopy__(self, memo: dict) -> Symbol:
        return self.__copy__()

    def __repr__(self) -> str:
        name = self.name
        return f"<Symbol {name}>" if name else f"<Symbol group {self.list_outputs()}>"

    # -- arithmetic -------------------------------------------------------
    def __add__(self, o): return _arith(self, o, "_Plus", "_PlusScalar")
    def __radd__(self, o): return _arith(self, o, "_Plus", "_PlusScalar")
    def __sub__(self, o): return _arith(self, o, "_Minus", "_MinusScalar")
    def __rsub__(self, o): return _arith(self, o, "_Minus", "_RMinusScalar", True)
    def __mul__(self, o): return _arith(self, o, "_Mul", "_MulScalar")
    def __rmul__(self, o): return _arith(self, o, "_Mul", "_MulScalar")
    def __truediv__(self, o): return _arith(self, o, "_Div", "_DivScalar")
    def __rtruediv__(self, o): return _arith(self, o, "_Div", "_RDivScalar", True)
    def __pow__(self, o): return _arith(self, o, "_Power", "_PowerScalar")
    def __rpow__(self, o): return _arith(self, o, "_Power", "_RPowerScalar", True)
    def __gt__(self, o): return _arith(self, o, "_Greater", "_GreaterScalar")
    def __ge__(self, o): return _arith(self, o, "_Greater_Equal", "_GreaterEqualScalar")
    def __lt__(self, o): return _arith(self, o, "_Lesser", "_LesserScalar")
    def __le__(self, o): return _arith(self, o, "_Lesser_Equal", "_LesserEqualScalar")
    def __neg__(self): return self.__mul__(-1.0)  # as MXNet: _mulscalar, not negative
    def __abs__(self): return create("abs", [self], {})

    __div__, __rdiv__ = __truediv__, __rtruediv__


def _arith(lhs: Symbol, rhs: Any, op: str, scalar_op: str, reverse: bool = False) -> Symbol:
    if isinstance(rhs, Symbol):
        a, b = (rhs, lhs) if reverse else (lhs, rhs)
        return create(op, [a, b], {})
    if isinstance(rhs, numbers.Number) and not isinstance(rhs, bool):
        return create(scalar_op, [lhs], {"scalar": float(rhs)})
    raise ParamError(
        f"Symbol {op}: the other operand must be a Symbol or a number; got "
        f"{type(rhs).__name__}."
    )


def _substitute(heads: list, subst: dict[str, tuple[Node, int]]) -> Symbol:
    """Copy the graph, replacing variables named in ``subst`` by entries."""
    copies: dict[int, Node] = {}
    for node in topo_order(heads):
        if node.op is None and node.name in subst:
            continue
        new_inputs = []
        for child, index in node.inputs:
            if child.op is None and child.name in subst:
                new_inputs.append(subst[child.name])
            else:
                new_inputs.append((copies[id(child)], index))
        copies[id(node)] = Node(node.op, node.name, node.params, node.attrs, new_inputs)

    def head(entry):
        node, index = entry
        if node.op is None and node.name in subst:
            return subst[node.name]
        return (copies[id(node)], index)

    return Symbol([head(h) for h in heads])


def _hidden(key: str) -> str:
    return key if key.startswith("__") and key.endswith("__") else f"__{key}__"


def Variable(name: str, attr: dict | None = None, shape: Any = None,
             lr_mult: float | None = None, wd_mult: float | None = None,
             dtype: Any = None, init: Any = None, stype: str | None = None,
             **kwargs: Any) -> Symbol:
    """A free variable (an input, a parameter or a label).

    Example:
        >>> import mxlite as mx
        >>> mx.sym.var('data', shape=(100, 784)).attr('__shape__')
        '(100, 784)'
    """
    if not isinstance(name, str) or not name:
        raise ParamError(f"Variable: name must be a non-empty string; got {name!r}.")
    where = f"Variable({name!r})"
    attrs = {hidden_key(key): str(value) for key, value in (attr or {}).items()}
    if shape is not None:
        attrs["__shape__"] = str(_variable_shape(where, shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        try:
            attrs["__dtype__"] = str(dtype_flag(dtype))
        except (ParamError, TypeError):
            raise ParamError(f"{where}: dtype must be one of MXNet's types "
                             f"(float32, float64, float16, uint8, int32, int8, int64, "
                             f"...); got {dtype!r}.") from None
    if init is not None:
        attrs["__init__"] = _init_string(where, init)
    if stype is not None:
        attrs["__storage_type__"] = str(stype)
    for key, value in kwargs.items():
        attrs[_hidden(key)] = str(value)
    return Symbol([(Node(None, name, attrs=attrs), 0)])


def _variable_shape(where: str, shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0
        for d in dims
    ):
        raise ParamError(f"{where}: shape must be a tuple of ints >= 0 (0 for "
                         f"unknown); got {shape!r}.")
    return tuple(int(d) for d in dims)


def _init_string(where: str, init: Any) -> str:
    if isinstance(init, str):
        return init
    dumps = getattr(init, "dumps", None)
    if not callable(dumps):
        raise ParamError(f"{where}: init must be an Initializer or its dumps() "
                         f"string; got {type(init).__name__}.")
    return dumps()


var = Variable

def Group(symbols: Sequence[Symbol]) -> Symbol:
    """One symbol whose outputs are the outputs of ``symbols``."""
    if isinstance(symbols, Symbol) or not symbols:
        raise GraphError("Group: expected a non-empty list of Symbols; got "
                         f"{symbols!r:.80}.")
    heads = []
    for s in symbols:
        if not isinstance(s, Symbol):
            raise GraphError(f"Group: expected Symbols; got {type(s).__name__}.")
        heads.extend(s._heads)
    return Symbol(heads)


def create(called: str, inputs: Sequence[Symbol | None], params: dict, *,
           named: dict | None = None, name: str | None = None,
           attr: dict | None = None) -> Symbol:
    """Create an operator node; missing inputs become variables ``<name>_<arg>``.

    An operator created without its data input is a *partial* symbol: its
    first argument is the free variable ``<name>_data``, which composition
    (``sym(prev)``; ``mxlite.jl``'s ``chain`` and ``>>``) replaces.
    """
    opdef = get_op(called)
    if name is not None and not isinstance(name, str):
        raise ParamError(f"{opdef.name}: name must be a string; got {name!r}.")
    node_name = naming.current().get(name, called.lower())
    p = opdef.parse(params, node_name)
    names = list(opdef.arguments(p)) + list(opdef.aux(p))
    if len(inputs) > len(names):
        raise GraphError(
            f"{opdef.where(node_name)}: got {len(inputs)} inputs but it takes "
            f"{len(names)} ({', '.join(names)})."
        )
    given = dict(zip(names, inputs))
    for key, value in (named or {}).items():
        if key not in names:
            raise GraphError(
                f"{opdef.where(node_name)}: {key!r} is not an input; inputs are "
                f"{', '.join(names)}."
            )
        given[key] = value
    attrs = {_hidden(k): to_attr_string(v) for k, v in (attr or {}).items()}
    entries = []
    for arg in names:
        sym = given.get(arg)
        if sym is None:
            # MXNet copies the operator's attributes onto the variables it makes.
            var_attrs = {**p.given, **attrs}
            entries.append((Node(None, f"{node_name}_{arg}", attrs=var_attrs), 0))
        elif len(sym) != 1:
            raise GraphError(
                f"{opdef.where(node_name)}: input {arg!r} must be a single-output "
                f"Symbol; got a group of {len(sym)}."
            )
        else:
            entries.append(sym._heads[0])
    node = Node(opdef, node_name, p, attrs, entries)
    set_input_var_attrs(node)
    return Symbol([(node, i) for i in range(len(node.output_names()))])


def load_json(json_str: str) -> Symbol:
    """Build a Symbol from MXNet's JSON (either the ``attrs`` or legacy form)."""
    return Symbol(json_io.loads(json_str))


def load(fname: str) -> Symbol:
    """Load a ``-symbol.json`` file written by mxlite or MXNet."""
    with open(fname, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        hint = describe_file_start(raw[:HEAD_BYTES])
        raise FormatError(f"{fname}: not a UTF-8 symbol JSON file ({err})"
                          f"{f'; {hint}' if hint else ''}.") from None
    try:
        return load_json(text)
    except FormatError as err:
        raise FormatError(f"{fname}: {err}") from None

