"""Mocha's computation layers, each lowered to registry operators.

Shapes are mxlite's (N, C, H, W) and a pair such as ``kernel=(5, 5)`` is
(height, width); Mocha's Julia arrays were (W, H, C, N) and its pairs
(width, height) (docs/differences.md, "Mocha").
"""

from __future__ import annotations

from typing import Any

from ... import symbol as sym
from ...base import ParamError
from ..initializers import ConstantInitializer, L2Regu, NoRegu, XavierInitializer
from ..neurons import Neurons, check_neuron
from .base import Layer, ParamSpec, blob_names, shape_pair

__all__ = ["ConcatLayer", "ConvolutionLayer", "DropoutLayer", "InnerProductLayer",
           "Pooling", "PoolingLayer", "ReLULayer", "ReshapeLayer", "SoftmaxLayer",
           "SplitLayer"]


# Mocha's defaults (immutable, so one object serves every layer).
_IDENTITY = Neurons.Identity()
_XAVIER = XavierInitializer()
_ZERO = ConstantInitializer(0.0)
_L2 = L2Regu(1.0)
_NO_REGU = NoRegu()


class _Learned(Layer):
    """A layer with a weight (or filter) and a bias, one output per input,
    every input sharing the same parameters (as in Mocha)."""

    _weight_role = "weight"

    def _setup(self, *, bottoms: Any, tops: Any, neuron: Any, param_key: str,
               weight: tuple, bias: tuple) -> None:
        self.bottoms = blob_names(self.where, "bottoms", bottoms)
        self.tops = blob_names(self.where, "tops", tops, count=len(self.bottoms))
        self.neuron = check_neuron(self.where, neuron)
        if not isinstance(param_key, str):
            raise ParamError(f"{self.where}: param_key must be a string; got {param_key!r}.")
        self.param_key = param_key
        role = self._weight_role
        self.check_specs(init=weight[0], regu=weight[1], lr=weight[2], what=role)
        self.check_specs(init=bias[0], regu=bias[1], lr=bias[2], what="bias")
        self._specs = [ParamSpec(role, weight[0], float(weight[2]), weight[1]),
                       ParamSpec("bias", bias[0], float(bias[2]), bias[1])]

    def param_specs(self) -> list[ParamSpec]:
        return list(self._specs)

    def _vars(self) -> dict[str, sym.Symbol]:
        weight, bias = self.param_names()
        return {"weight": sym.var(weight), "bias": sym.var(bias)}

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        params = self._vars()
        outs = []
        for i, x in enumerate(ins):
            node = self.name if len(ins) == 1 else f"{self.name}_{i}"
            out = self._op(x, params, node)
            outs.append(self.neuron.apply(out, f"{node}_neuron"))
        return outs

    def _op(self, x: sym.Symbol, params: dict, node: str) -> sym.Symbol:
        raise NotImplementedError


class ConvolutionLayer(_Learned):
    """Mocha's ``ConvolutionLayer``: ``Convolution`` (+ the neuron)."""

    kind = "ConvolutionLayer"
    _weight_role = "filter"

    def __init__(self, *, name: str = "convolution", bottoms: Any, tops: Any,
                 param_key: str = "", kernel: Any = (1, 1), stride: Any = (1, 1),
                 pad: Any = (0, 0), n_filter: int = 1, n_group: int = 1,
                 neuron: Any = _IDENTITY, filter_init: Any = _XAVIER,
                 bias_init: Any = _ZERO, filter_regu: Any = _L2,
                 bias_regu: Any = _NO_REGU, filter_lr: float = 1.0,
                 bias_lr: float = 2.0) -> None:
        super().__init__(name=name)
        self.kernel = shape_pair(self.where, "kernel", kernel, lower=1)
        self.stride = shape_pair(self.where, "stride", stride, lower=1)
        self.pad = shape_pair(self.where, "pad", pad, lower=0)
        for what, value in (("n_filter", n_filter), ("n_group", n_group)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ParamError(f"{self.where}: {what} must be an integer >= 1; "
                                 f"got {value!r}.")
        self.n_filter, self.n_group = n_filter, n_group
        self._setup(bottoms=bottoms, tops=tops, neuron=neuron, param_key=param_key,
                    weight=(filter_init, filter_regu, filter_lr),
                    bias=(bias_init, bias_regu, bias_lr))

    def _op(self, x: sym.Symbol, params: dict, node: str) -> sym.Symbol:
        return sym.Convolution(data=x, weight=params["weight"], bias=params["bias"],
                               kernel=self.kernel, stride=self.stride, pad=self.pad,
                               num_filter=self.n_filter, num_group=self.n_group,
                               name=node)


class InnerProductLayer(_Learned):
    """Mocha's ``InnerProductLayer``: ``FullyConnected`` on the flattened input."""

    kind = "InnerProductLayer"

    def __init__(self, *, name: str = "inner-product", output_dim: int, bottoms: Any,
                 tops: Any, param_key: str = "", neuron: Any = _IDENTITY,
                 weight_init: Any = _XAVIER,
                 bias_init: Any = _ZERO, weight_regu: Any = _L2,
                 bias_regu: Any = _NO_REGU, weight_lr: float = 1.0,
                 bias_lr: float = 2.0) -> None:
        super().__init__(name=name)
        if not isinstance(output_dim, int) or isinstance(output_dim, bool) or output_dim < 1:
            raise ParamError(f"{self.where}: output_dim must be an integer >= 1; "
                             f"got {output_dim!r}.")
        self.output_dim = output_dim
        self._setup(bottoms=bottoms, tops=tops, neuron=neuron, param_key=param_key,
                    weight=(weight_init, weight_regu, weight_lr),
                    bias=(bias_init, bias_regu, bias_lr))

    def _op(self, x: sym.Symbol, params: dict, node: str) -> sym.Symbol:
        return sym.FullyConnected(data=x, weight=params["weight"], bias=params["bias"],
                                  num_hidden=self.output_dim, flatten=True, name=node)


class _PoolKind:
    """``Pooling.Max()`` / ``Pooling.Mean()``."""

    pool_type = ""

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"Pooling.{type(self).__name__}()"


class Max(_PoolKind):
    pool_type = "max"


class Mean(_PoolKind):
    pool_type = "avg"


class Pooling:
    """Mocha's ``Pooling`` module: ``Pooling.Max()``, ``Pooling.Mean()``."""

    Max = Max
    Mean = Mean


_MAX = Pooling.Max()


class PoolingLayer(Layer):
    """Mocha's ``PoolingLayer``: ``Pooling`` with Caffe's (ceil) output size."""

    kind = "PoolingLayer"

    def __init__(self, *, name: str = "pooling", bottoms: Any, tops: Any,
                 kernel: Any = (1, 1), stride: Any = (1, 1), pad: Any = (0, 0),
                 pooling: Any = _MAX, neuron: Any = _IDENTITY) -> None:
        super().__init__(name=name)
        self.bottoms = blob_names(self.where, "bottoms", bottoms)
        self.tops = blob_names(self.where, "tops", tops, count=len(self.bottoms))
        self.kernel = shape_pair(self.where, "kernel", kernel, lower=1)
        self.stride = shape_pair(self.where, "stride", stride, lower=1)
        self.pad = shape_pair(self.where, "pad", pad, lower=0)
        if not isinstance(pooling, _PoolKind):
            raise ParamError(f"{self.where}: pooling must be Pooling.Max() or "
                             f"Pooling.Mean(); got {pooling!r}.")
        if any(p >= k for p, k in zip(self.pad, self.kernel)):
            raise ParamError(f"{self.where}: pad {self.pad} must be smaller than kernel "
                             f"{self.kernel} (a window would lie wholly in the padding).")
        self.pooling = pooling
        self.neuron = check_neuron(self.where, neuron)

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        outs = []
        for i, x in enumerate(ins):
            node = self.name if len(ins) == 1 else f"{self.name}_{i}"
            out = sym.Pooling(data=x, kernel=self.kernel, stride=self.stride, pad=self.pad,
                              pool_type=self.pooling.pool_type,
                              pooling_convention="full", name=node)
            out = self._drop_padding_window(out, shapes[i], node)
            outs.append(self.neuron.apply(out, f"{node}_neuron"))
        return outs

    def _drop_padding_window(self, out: sym.Symbol, shape: tuple, node: str) -> sym.Symbol:
        """Caffe's rule on top of the ceil size: with padding, a last window
        that starts inside the padding is removed (5 rows, kernel 2, stride 2,
        pad 1 give 3 rows, not 4)."""
        for axis, size, k, s, p in zip((2, 3), shape[2:], self.kernel, self.stride, self.pad):
            n = -(-(size + 2 * p - k) // s) + 1
            if p and (n - 1) * s >= size + p:
                out = sym.slice_axis(out, axis=axis, begin=0, end=n - 1,
                                     name=f"{node}_crop{axis}")
        return out


class _Elementwise(Layer):
    """A layer applied to each bottom alone; in place when ``tops`` is omitted."""

    def _blobs(self, bottoms: Any, tops: Any) -> None:
        self.bottoms = blob_names(self.where, "bottoms", bottoms)
        self.in_place = tops is None
        self.tops = self.bottoms if tops is None else blob_names(
            self.where, "tops", tops, count=len(self.bottoms))

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        return [self._op(x, self.name if len(ins) == 1 else f"{self.name}_{i}")
                for i, x in enumerate(ins)]

    def _op(self, x: sym.Symbol, node: str) -> sym.Symbol:
        raise NotImplementedError


class ReLULayer(_Elementwise):
    """``max(x, 0)`` on each bottom (in place unless ``tops`` are given)."""

    kind = "ReLULayer"

    def __init__(self, *, name: str = "relu", bottoms: Any, tops: Any = None) -> None:
        super().__init__(name=name)
        self._blobs(bottoms, tops)

    def _op(self, x: sym.Symbol, node: str) -> sym.Symbol:
        return sym.Activation(data=x, act_type="relu", name=node)


class DropoutLayer(_Elementwise):
    """Mocha's ``DropoutLayer``: drop with probability ``ratio`` while training,
    scaling the kept values by 1/(1-ratio) (Mocha's ``auto_scale``); in place."""

    kind = "DropoutLayer"

    def __init__(self, *, name: str = "dropout", bottoms: Any, tops: Any = None,
                 ratio: float = 0.5) -> None:
        super().__init__(name=name)
        if not isinstance(ratio, (int, float)) or not 0.0 <= ratio < 1.0:
            raise ParamError(f"{self.where}: ratio must be in [0, 1); got {ratio!r}.")
        self.ratio = float(ratio)
        self._blobs(bottoms, tops)

    def _op(self, x: sym.Symbol, node: str) -> sym.Symbol:
        return sym.Dropout(data=x, p=self.ratio, name=node)


class SoftmaxLayer(_Elementwise):
    """Mocha's ``SoftmaxLayer``: probabilities along ``dim`` (1, the channels)."""

    kind = "SoftmaxLayer"

    def __init__(self, *, name: str = "softmax", bottoms: Any, tops: Any,
                 dim: int = 1) -> None:
        super().__init__(name=name)
        self.dim = dim
        self._blobs(bottoms, blob_names(self.where, "tops", tops))

    def _op(self, x: sym.Symbol, node: str) -> sym.Symbol:
        return sym.softmax(x, axis=self.dim, name=node)


class SplitLayer(Layer):
    """Mocha's ``SplitLayer``: one bottom read by several tops (gradients add)."""

    kind = "SplitLayer"

    def __init__(self, *, name: str = "split", bottoms: Any, tops: Any) -> None:
        super().__init__(name=name)
        self.bottoms = blob_names(self.where, "bottoms", bottoms, count=1)
        self.tops = blob_names(self.where, "tops", tops)

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        return [sym.identity(ins[0], name=f"{self.name}_{i}") for i in range(len(self.tops))]


class ConcatLayer(Layer):
    """Mocha's ``ConcatLayer``: bottoms joined along ``dim`` (1, the channels)."""

    kind = "ConcatLayer"

    def __init__(self, *, name: str = "concat", bottoms: Any, tops: Any,
                 dim: int = 1) -> None:
        super().__init__(name=name)
        self.bottoms = blob_names(self.where, "bottoms", bottoms)
        self.tops = blob_names(self.where, "tops", tops, count=1)
        self.dim = dim

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        return [sym.Concat(*ins, dim=self.dim, num_args=len(ins), name=self.name)]


class ReshapeLayer(Layer):
    """Mocha's ``ReshapeLayer``: each sample reshaped to ``shape`` (the batch kept)."""

    kind = "ReshapeLayer"

    def __init__(self, *, name: str = "reshape", bottoms: Any, tops: Any,
                 shape: Any) -> None:
        super().__init__(name=name)
        self.bottoms = blob_names(self.where, "bottoms", bottoms)
        self.tops = blob_names(self.where, "tops", tops, count=len(self.bottoms))
        dims = tuple(shape) if not isinstance(shape, int) else (shape,)
        if not dims or not all(isinstance(d, int) and d >= 1 for d in dims):
            raise ParamError(f"{self.where}: shape must be positive integers (one "
                             f"sample's shape); got {shape!r}.")
        self.shape = dims

    def lower(self, ins: list[sym.Symbol], shapes: list[tuple]) -> list[sym.Symbol]:
        return [sym.Reshape(x, shape=(0, *self.shape),
                            name=self.name if len(ins) == 1 else f"{self.name}_{i}")
                for i, x in enumerate(ins)]
