"""The composite initializers, plain callables in MXNet too: Load and Mixed."""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np

from ..base import ParamError, ShapeError
from ..ndarray import NDArray
from ..ndarray import load as _load_params
from ._arrays import assign, check_array

__all__ = ["Load", "Mixed"]

_LOG = logging.getLogger("mxlite.initializer")


class Load:
    """Initialize from saved arrays, falling back to ``default_init``.

    ``arg:``/``aux:`` prefixes of the saved names are dropped.

    Args:
        param: a ``.params`` file name or a dict name -> NDArray/array.
        default_init: used for names not in ``param``.
        verbose: log where each array came from.
    """

    def __init__(self, param: Any, default_init: Any = None,
                 verbose: bool = False) -> None:
        if isinstance(param, str):
            param = _load_params(param)
        if not isinstance(param, dict):
            raise ParamError(f"mx.init.Load: param must be a file name or a dict of "
                             f"name -> array; got {type(param).__name__}.")
        self.param = {
            (name[4:] if name.startswith(("arg:", "aux:")) else name): value
            for name, value in param.items()
        }
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name: Any, arr: NDArray) -> None:
        check_array(f"mx.init.Load({name!r})", arr)
        if name in self.param:
            value = self.param[name]
            value = value._data if isinstance(value, NDArray) else np.asarray(value)
            if tuple(value.shape) != arr.shape:
                raise ShapeError(f"mx.init.Load: parameter {str(name)!r} has shape "
                                 f"{arr.shape} but the loaded array has shape "
                                 f"{tuple(value.shape)}.")
            assign(arr, value)
            if self.verbose:
                _LOG.info("Initialized %s by loading", name)
            return
        if self.default_init is None:
            raise ParamError(f"mx.init.Load: {str(name)!r} is not among the loaded "
                             "parameters and no default_init was given.")
        self.default_init(name, arr)
        if self.verbose:
            _LOG.info("Initialized %s by default", name)


class Mixed:
    """Initialize each parameter with the first initializer whose pattern matches.

    Args:
        patterns: regular expressions, matched at the start of the name
            (``re.match``).
        initializers: one initializer per pattern.

    Example:
        >>> import mxlite as mx
        >>> init = mx.init.Mixed(['bias', '.*'], [mx.init.Zero(), mx.init.One()])
        >>> w = mx.nd.zeros((2,))
        >>> init(mx.init.InitDesc('fc_weight'), w); w.asnumpy().tolist()
        [1.0, 1.0]
    """

    def __init__(self, patterns: list[str], initializers: list[Any]) -> None:
        if len(patterns) != len(initializers):
            raise ParamError(f"mx.init.Mixed: got {len(patterns)} patterns but "
                             f"{len(initializers)} initializers; give one each.")
        self.map = [(re.compile(p), init) for p, init in zip(patterns, initializers)]

    def __call__(self, name: Any, arr: NDArray) -> None:
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise ParamError(f"mx.init.Mixed: parameter {str(name)!r} matches none of the "
                         f"patterns {[p.pattern for p, _ in self.map]}; add a '.*' "
                         "pattern at the end with a default initializer.")
