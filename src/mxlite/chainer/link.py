"""``chainer.Link``, ``Chain``, ``ChainList`` and ``Sequential``.

A Link owns Parameters and persistent values (BatchNorm's statistics); a
Chain owns named child links, a ChainList an ordered list of them. Inside
``with self.init_scope():`` assigning a Parameter or a Link registers it;
the Chainer v1 form ``super().__init__(l1=L.Linear(None, 10))`` does too.
Parameter paths (``/predictor/l1/W``) and their order (own parameters sorted
by name, then children sorted by name) are Chainer's, so ``namedparams()``,
the optimizer state and ``save_npz`` keys all agree with Chainer 7.8.1.
"""

from __future__ import annotations

import copy as copy_module
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..base import MXNetError
from ..context import current_context
from ..ndarray.ndarray import to_jax
from .backend import array_module_for, context_of_device, device_of_context, gpu_context
from .initializers import NaN
from .variable import Parameter, bump_structure

__all__ = ["Link", "Chain", "ChainList", "Sequential"]


class Link:
    """A building block with parameters (Chainer's ``chainer.Link``)."""

    def __init__(self, **params: Any) -> None:
        object.__setattr__(self, "_params", [])
        object.__setattr__(self, "_persistent", [])
        object.__setattr__(self, "within_init_scope", False)
        object.__setattr__(self, "name", None)
        object.__setattr__(self, "_ctx", current_context())
        for name, value in params.items():
            shape, dtype = (value, np.float32) if not isinstance(value, tuple) or \
                len(value) != 2 or not isinstance(value[1], type) else value
            self.add_param(name, shape, dtype=dtype)

    # -- registration ---------------------------------------------------------------
    @contextmanager
    def init_scope(self) -> Iterator[None]:
        """Attributes assigned inside are registered as parameters or children."""
        old = self.within_init_scope
        object.__setattr__(self, "within_init_scope", True)
        try:
            yield
        finally:
            object.__setattr__(self, "within_init_scope", old)

    def __setattr__(self, name: str, value: Any) -> None:
        if self.within_init_scope and isinstance(value, Parameter):
            value.name = name
            if name not in self._params:
                self._params.append(name)
            bump_structure()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for registry in (self._params, self._persistent):
            if name in registry:
                registry.remove(name)
        bump_structure()
        object.__delattr__(self, name)

    def add_param(self, name: str, shape: Any = None, dtype: Any = np.float32,
                  initializer: Any = None) -> None:
        """Register a new parameter ``name`` (created now if ``shape`` is given)."""
        if name in self.__dict__:
            raise MXNetError(f"{type(self).__name__}.add_param: {name!r} already exists.")
        if initializer is None:
            initializer = NaN(dtype)
        param = Parameter(initializer, shape)
        with self.init_scope():
            setattr(self, name, param)

    def add_persistent(self, name: str, value: Any) -> None:
        """Register a value saved by serializers but not learned."""
        if name in self.__dict__:
            raise MXNetError(f"{type(self).__name__}.add_persistent: {name!r} already exists.")
        self._persistent.append(name)
        bump_structure()
        object.__setattr__(self, name, value)

    def register_persistent(self, name: str) -> None:
        """Make an existing attribute persistent."""
        if name not in self.__dict__:
            raise MXNetError(f"{type(self).__name__}.register_persistent: no attribute "
                             f"{name!r}.")
        if name not in self._persistent:
            self._persistent.append(name)
            bump_structure()

    # -- traversal ------------------------------------------------------------------------
    def _children(self) -> list[tuple[str, Link]]:
        return []

    def params(self, include_uninit: bool = True) -> Iterator[Parameter]:
        """Every parameter of this link and its descendants."""
        for _, param in self.namedparams(include_uninit):
            yield param

    def namedparams(self, include_uninit: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``('/path/name', parameter)`` pairs in Chainer's order."""
        d = self.__dict__
        for name in sorted(self._params):
            if include_uninit or d[name].array is not None:
                yield "/" + name, d[name]
        for child_name, child in self._children():
            for path, param in child.namedparams(include_uninit):
                yield "/" + child_name + path, param

    def links(self, skipself: bool = False) -> Iterator[Link]:
        if not skipself:
            yield self
        for _, child in self._children():
            yield from child.links()

    def namedlinks(self, skipself: bool = False) -> Iterator[tuple[str, Link]]:
        if not skipself:
            yield "/", self
        for child_name, child in self._children():
            for path, link in child.namedlinks():
                yield "/" + child_name + ("" if path == "/" else path), link

    def children(self) -> Iterator[Link]:
        for _, child in self._children():
            yield child

    def count_params(self) -> int:
        """The number of scalars in initialized parameters."""
        return sum(p.size for p in self.params() if p.array is not None)

    # -- gradients ------------------------------------------------------------------------
    def cleargrads(self) -> None:
        """Set every parameter's gradient to None."""
        for param in self.params():
            param.cleargrad()

    def zerograds(self) -> None:
        """Set every initialized parameter's gradient to zeros."""
        for param in self.params():
            if param.array is not None:
                param.zerograd()

    def addgrads(self, link: Link) -> None:
        for (_, mine), (_, theirs) in zip(self.namedparams(), link.namedparams()):
            mine.addgrad(theirs)

    def copyparams(self, link: Link, copy_persistent: bool = True) -> None:
        """Copy ``link``'s parameter values into this link's."""
        for (_, mine), (_, theirs) in zip(self.namedparams(), link.namedparams()):
            mine.copydata(theirs)
        if copy_persistent:
            for (_, mine), (_, theirs) in zip(self.namedlinks(), link.namedlinks()):
                for name in mine._persistent:
                    object.__setattr__(mine, name, copy_module.copy(theirs.__dict__[name]))

    # -- devices -----------------------------------------------------------------------
    @property
    def xp(self) -> Any:
        return array_module_for(self._ctx)

    @property
    def device(self) -> Any:
        return device_of_context(self._ctx)

    def to_cpu(self) -> Link:
        return self.to_device(-1)

    def to_gpu(self, device: Any = None) -> Link:
        return self._to(gpu_context(device))

    def to_device(self, device: Any) -> Link:
        return self._to(context_of_device(device))

    def _to(self, ctx: Any) -> Link:
        for link in self.links():
            object.__setattr__(link, "_ctx", ctx)
            for name in link._params:
                link.__dict__[name]._move(ctx)
            for name in link._persistent:
                value = link.__dict__[name]
                if hasattr(value, "shape") and hasattr(value, "dtype"):
                    object.__setattr__(link, name, to_jax(value, ctx))
        return self

    # -- copies and calls ---------------------------------------------------------------
    def copy(self, mode: str = "share") -> Link:
        """A copy: ``'share'`` shares the parameters (the same Parameter objects,
        so an update of one shows in the other, as Chainer's shared arrays
        did), ``'copy'`` copies them, ``'init'`` gives fresh uninitialized ones."""
        if mode not in ("share", "copy", "init"):
            raise MXNetError(f"Link.copy: mode must be 'share', 'copy' or 'init'; got "
                             f"{mode!r}.")
        new = copy_module.copy(self)
        object.__setattr__(new, "_params", list(self._params))
        object.__setattr__(new, "_persistent", list(self._persistent))
        for name in self._params:
            old = self.__dict__[name]
            if mode == "share":  # the same Parameter: updates show in both links
                continue
            param = copy_module.copy(old)
            param._ag = None
            param._grad_array = None
            if mode == "init":
                param._data = None
            elif param._data is not None:
                param.array = np.array(param._data)
            object.__setattr__(new, name, param)
        new._copy_children(mode)
        bump_structure()
        return new

    def _copy_children(self, mode: str) -> None:
        pass

    def serialize(self, serializer: Any) -> None:
        """Save or load parameters and persistent values (Chainer's protocol)."""
        d = self.__dict__
        for name in sorted(self._params):
            param = d[name]
            value = serializer(name, param.array)
            if value is not None and value is not param.array:
                param.array = value
        for name in self._persistent:
            old = d[name]
            value = serializer(name, old)
            if value is not old and isinstance(value, np.ndarray) and value.ndim > 0:
                value = to_jax(value, self._ctx)
            object.__setattr__(self, name, value)

    def repeat(self, n_repeat: int, mode: str = "init") -> Sequential:
        return Sequential(*[self.copy(mode) for _ in range(n_repeat)])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        forward: Callable | None = getattr(self, "forward", None)
        if forward is None:
            raise MXNetError(f"{type(self).__name__}: define forward() (or __call__).")
        return forward(*args, **kwargs)


class Chain(Link):
    """A link with named child links (Chainer's ``chainer.Chain``)."""

    def __init__(self, **links: Link) -> None:
        super().__init__()
        object.__setattr__(self, "_child_names", [])
        for name, link in links.items():
            self.add_link(name, link)

    def __setattr__(self, name: str, value: Any) -> None:
        if self.within_init_scope and isinstance(value, Link):
            if name in self.__dict__ and name not in self._child_names:
                raise MXNetError(f"{type(self).__name__}: cannot register link {name!r}: "
                                 "the name is already an attribute.")
            value.name = name
            if name not in self._child_names:
                self._child_names.append(name)
                bump_structure()
        super().__setattr__(name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._child_names:
            self._child_names.remove(name)
        super().__delattr__(name)

    def __getitem__(self, name: str) -> Link:
        return getattr(self, name)

    def add_link(self, name: str, link: Link) -> None:
        """Register ``link`` as the child ``name``."""
        if not isinstance(link, Link):
            raise MXNetError(f"{type(self).__name__}.add_link: {name!r} must be a Link; "
                             f"got {type(link).__name__}.")
        with self.init_scope():
            setattr(self, name, link)

    def _children(self) -> list[tuple[str, Link]]:
        return [(name, self.__dict__[name]) for name in sorted(self._child_names)]

    def _copy_children(self, mode: str) -> None:
        object.__setattr__(self, "_child_names", list(self._child_names))
        for name in self._child_names:
            object.__setattr__(self, name, self.__dict__[name].copy(mode))

    def serialize(self, serializer: Any) -> None:
        super().serialize(serializer)
        for name, child in self._children():
            child.serialize(serializer[name])


class ChainList(Link):
    """A link with an ordered list of child links (``chainer.ChainList``)."""

    def __init__(self, *links: Link) -> None:
        super().__init__()
        object.__setattr__(self, "_links", [])
        for link in links:
            self.add_link(link)

    def add_link(self, link: Link) -> None:
        if not isinstance(link, Link):
            raise MXNetError(f"{type(self).__name__}.add_link: expected a Link; got "
                             f"{type(link).__name__}.")
        link.name = str(len(self._links))
        self._links.append(link)
        bump_structure()

    append = add_link

    def __getitem__(self, index: int) -> Link:
        return self._links[index]

    def __iter__(self) -> Iterator[Link]:
        return iter(self._links)

    def __len__(self) -> int:
        return len(self._links)

    def _children(self) -> list[tuple[str, Link]]:
        return [(str(i), link) for i, link in enumerate(self._links)]

    def _copy_children(self, mode: str) -> None:
        object.__setattr__(self, "_links", [link.copy(mode) for link in self._links])

    def serialize(self, serializer: Any) -> None:
        super().serialize(serializer)
        for name, child in self._children():
            child.serialize(serializer[name])


class Sequential(ChainList):
    """Links and functions called one after another (``chainer.Sequential``)."""

    def __init__(self, *layers: Any) -> None:
        super().__init__()
        object.__setattr__(self, "_layers", [])
        for layer in layers:
            self.append(layer)

    def append(self, layer: Any) -> None:
        if isinstance(layer, Link):
            self.add_link(layer)
        elif not callable(layer):
            raise MXNetError(f"Sequential: a layer must be a Link or a function; got "
                             f"{type(layer).__name__}.")
        self._layers.append(layer)

    def __getitem__(self, index: int) -> Any:
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._layers)

    def forward(self, *x: Any) -> Any:
        for layer in self._layers:
            x = layer(*x) if isinstance(x, tuple) else layer(x)
        return x

