"""``chainer.config``, ``using_config`` and the backprop switches.

Chainer keeps a global configuration with a thread-local override;
``chainer.config.train`` (True by default) switches Dropout and
BatchNormalization, ``enable_backprop`` whether operations are recorded.
Every flag here is part of the key under which ``optimizer.update`` keeps a
compiled step, so a step traced in training mode is never replayed in
evaluation mode.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["config", "global_config", "using_config", "no_backprop_mode",
           "force_backprop_mode", "flags"]

_DEFAULTS = {"train": True, "enable_backprop": True, "debug": False,
             "type_check": True, "use_cudnn": "auto", "cudnn_deterministic": False,
             "autotune": False, "keep_graph_on_report": False, "dtype": "float32",
             "lazy_grad_sum": False, "use_ideep": "never", "in_recomputing": False}


class GlobalConfig:
    """Process-wide defaults (``chainer.global_config``)."""

    def __init__(self) -> None:
        self.__dict__.update(_DEFAULTS)


class LocalConfig:
    """Thread-local values falling back on the global ones (``chainer.config``)."""

    def __init__(self, base: GlobalConfig) -> None:
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_local", threading.local())

    def __getattr__(self, name: str) -> Any:
        local = object.__getattribute__(self, "_local")
        if name in local.__dict__:
            return local.__dict__[name]
        return getattr(object.__getattribute__(self, "_base"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._local, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._local, name)

    def show(self) -> None:
        """Print every flag and its value, as Chainer does."""
        keys = sorted(set(self._base.__dict__) | set(self._local.__dict__))
        for key in keys:
            print(f"{key:<25}{getattr(self, key)}")


global_config = GlobalConfig()
config = LocalConfig(global_config)
_MISSING = object()


@contextmanager
def using_config(name: str, value: Any, config: LocalConfig = config) -> Iterator[None]:
    """Set ``config.<name>`` to ``value`` inside the block (thread-local)."""
    local = config._local.__dict__
    old = local.get(name, _MISSING)
    setattr(config, name, value)
    try:
        yield
    finally:
        if old is _MISSING:
            delattr(config, name)
        else:
            setattr(config, name, old)


def no_backprop_mode() -> Any:
    """Operations inside are not recorded (no gradients flow through them)."""
    return using_config("enable_backprop", False)


def force_backprop_mode() -> Any:
    """Operations inside are recorded, also within ``no_backprop_mode``."""
    return using_config("enable_backprop", True)


def flags() -> tuple:
    """The flags a traced step depends on (part of its cache key)."""
    return (bool(config.train), bool(config.enable_backprop), str(config.dtype))
