"""MXNet.jl's MNIST data providers (its ``examples/mnist/mnist-data.jl``)."""

from __future__ import annotations

from ..datasets import mnist_files
from ..io import MNISTIter

__all__ = ["get_mnist_providers"]


def get_mnist_providers(
    batch_size: int,
    data_name: str = "data",
    label_name: str = "softmax_label",
    flat: bool = True,
) -> tuple[MNISTIter, MNISTIter]:
    """``(train_provider, eval_provider)`` over MNIST, as MXNet.jl's example.

    Both are MNISTIters (MXNet.jl's ``MNISTProvider``) over the copy bundled
    with mxlite (MXNet.jl's ``mx.get_mnist_ubyte()`` downloaded it); the
    training provider is shuffled (once, with seed 0), the evaluation one is
    not, and neither logs its summary line (``silent=true``).

    Args:
        batch_size: examples per batch.
        data_name: the name of the data input.
        label_name: the name of the label input.
        flat: rows of 784 values (else images of (1, 28, 28)).

    Example:
        >>> import mxlite.jl as mx
        >>> train_provider, eval_provider = mx.get_mnist_providers(100)
        >>> train_provider.provide_data, eval_provider.provide_label
        ([DataDesc[data,(100, 784),<class 'numpy.float32'>,NCHW]], \
[DataDesc[softmax_label,(100,),<class 'numpy.float32'>,NCHW]])
    """
    files = mnist_files()
    common = {
        "data_name": data_name,
        "label_name": label_name,
        "batch_size": batch_size,
        "flat": flat,
        "silent": True,
    }
    train_provider = MNISTIter(
        image=files["train_data"], label=files["train_label"], shuffle=True, **common
    )
    eval_provider = MNISTIter(
        image=files["test_data"], label=files["test_label"], shuffle=False, **common
    )
    return train_provider, eval_provider
