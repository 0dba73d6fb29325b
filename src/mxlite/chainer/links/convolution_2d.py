"""``L.Convolution2D``: W (out, in / groups, kh, kw) from LeCunNormal, b zeros;
the input channels may wait for the first call (``Convolution2D(None, out,
k)`` or ``Convolution2D(out, k)``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...base import ParamError, ShapeError
from .. import initializers
from ..functions._check import need_float, pair, shape_of
from ..functions.connection import convolution_2d
from ..link import Link
from ..variable import Parameter, Variable

__all__ = ["Convolution2D"]


class Convolution2D(Link):
    """A two-dimensional convolution layer (``F.convolution_2d``).

    Args:
        in_channels: input channels, or None to take them from the first
            input. With ``ksize`` None, the arguments are ``(out_channels,
            ksize)`` (``Convolution2D(7, 5)`` is ``Convolution2D(None, 7, 5)``).
        out_channels: output channels.
        ksize, stride, pad: an int or an (h, w) pair each.
        nobias: no bias.
        initialW, initial_bias: initializers (default LeCunNormal and 0).
        dilate: the dilation, an int or a pair.
        groups: channel groups; in and out channels must both be multiples.
    """

    def __init__(self, in_channels: int | None, out_channels: int | None,
                 ksize: Any = None, stride: Any = 1, pad: Any = 0, nobias: bool = False,
                 initialW: Any = None, initial_bias: Any = None, *, dilate: Any = 1,
                 groups: int = 1) -> None:
        super().__init__()
        if ksize is None:
            out_channels, ksize, in_channels = in_channels, out_channels, None
        where = "Convolution2D"
        self.ksize = pair(where, "ksize", ksize)
        self.stride, self.pad = pair(where, "stride", stride), pair(where, "pad", pad)
        self.dilate = pair(where, "dilate", dilate)
        self.out_channels, self.groups = out_channels, int(groups)
        if not isinstance(out_channels, (int, np.integer)) or out_channels < 1:
            raise ParamError(f"{where}: out_channels must be an int >= 1; got "
                             f"{out_channels!r}.")
        if self.groups < 1 or out_channels % self.groups:
            raise ParamError(f"{where}: out_channels={out_channels} must be divisible by "
                             f"groups={groups} (an int >= 1).")
        with self.init_scope():
            self.W = Parameter(initializers._get_initializer(initialW))
            if in_channels is not None:
                self._initialize_params(in_channels)
            if nobias:
                self.b = None
            else:
                bias = 0 if initial_bias is None else initial_bias
                self.b = Parameter(initializers._get_initializer(bias), out_channels)

    def _initialize_params(self, in_channels: int) -> None:
        if in_channels % self.groups:
            raise ShapeError(f"Convolution2D{_where(self)}: {in_channels} input channels "
                             f"are not divisible by groups={self.groups}.")
        self.W.initialize((self.out_channels, in_channels // self.groups, *self.ksize))

    def forward(self, x: Any) -> Variable:
        need_float(f"Convolution2D{_where(self)}", "x", x)
        shape = shape_of(x)
        if len(shape) != 4:
            raise ShapeError(f"Convolution2D{_where(self)}: input has shape {shape} "
                             f"({len(shape)}-d); expected (batch, channels, height, "
                             "width).")
        if self.W.array is None:
            self._initialize_params(shape[1])
        elif shape[1] != self.W.shape[1] * self.groups:
            raise ShapeError(
                f"Convolution2D{_where(self)}: input of shape {shape} has {shape[1]} "
                f"channels, but W was initialized as {self.W.shape} for "
                f"{self.W.shape[1] * self.groups} (groups={self.groups}).")
        return convolution_2d(x, self.W, self.b, self.stride, self.pad,
                              dilate=self.dilate, groups=self.groups)


def _where(link: Link) -> str:
    return f" {link.name!r}" if link.name else ""
