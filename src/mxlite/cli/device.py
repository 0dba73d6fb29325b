"""``--ctx cpu|gpu`` as a Context, shared by the commands that compute."""

from __future__ import annotations

from .. import context
from .errors import UsageError

__all__ = ["device_context"]


def device_context(name: str, command: str) -> context.Context:
    """``cpu`` or ``gpu`` as a Context; UsageError if JAX sees no GPU."""
    if name == "gpu" and context.num_gpus() == 0:
        raise UsageError("--ctx gpu: JAX found no GPU on this machine; use --ctx cpu "
                         "(or install a CUDA build of jaxlib)", prog=command)
    return context.gpu() if name == "gpu" else context.cpu()
