"""``mxlite predict``: classify IDX or PNG digit images with a checkpoint."""

from __future__ import annotations

import argparse

import numpy as np

from .. import context, module
from ..base import FormatError
from ..datasets import load_mnist, read_idx
from .main import UsageError

__all__ = ["run", "load_images"]


def _png(path: str) -> np.ndarray:
    import matplotlib.image  # noqa: PLC0415  (optional heavy dependency, only for PNGs)

    try:
        image = matplotlib.image.imread(path)
    except (OSError, ValueError, SyntaxError) as err:
        raise FormatError(f"{path}: not a readable PNG image ({err}).") from None
    if image.ndim == 3:
        if image.shape[2] not in (3, 4):
            raise FormatError(f"{path}: expected a grayscale or RGB image; got "
                              f"{image.shape[2]} channels.")
        image = image[..., :3].mean(axis=2)
    if image.shape != (28, 28):
        raise FormatError(f"{path}: MNIST models take 28x28 images; got "
                          f"{image.shape[1]}x{image.shape[0]}. Resize it first.")
    image = image.astype(np.float32)
    return image / 255.0 if image.max() > 1.0 else image


def load_images(paths: list[str]) -> np.ndarray:
    """Stack IDX (N, 28, 28) or PNG files into a (N, 1, 28, 28) float batch."""
    batches = []
    for path in paths:
        if path.lower().endswith(".png"):
            batches.append(_png(path)[None])
            continue
        data = read_idx(path)
        if data.ndim != 3 or data.shape[1:] != (28, 28):
            raise FormatError(f"{path}: expected IDX images of shape (N, 28, 28); got "
                              f"{data.shape}.")
        batches.append(data.astype(np.float32) / 255.0)
    return np.concatenate(batches)[:, None, :, :]


def run(args: argparse.Namespace) -> int:
    """Print one prediction per image; return 0."""
    if args.ctx == "gpu" and context.num_gpus() == 0:
        raise UsageError("mxlite predict: error: --ctx gpu: JAX found no GPU")
    ctx = context.gpu() if args.ctx == "gpu" else context.cpu()
    labels = None
    if args.images:
        images = load_images(args.images)
    else:
        mnist = load_mnist()
        images = mnist["test_data"][:args.count]
        labels = mnist["test_label"][:args.count]
    mod = module.Module.load(args.model_prefix, args.epoch, context=ctx)
    mod.bind(data_shapes=[("data", images.shape)], for_training=False)
    probs = mod.predict(images).asnumpy()
    for i, row in enumerate(probs):
        truth = "" if labels is None else f"  (label {int(labels[i])})"
        print(f"{i:4d}: {int(row.argmax())}  p={row.max():.4f}{truth}")
    if labels is not None:
        print(f"accuracy on {len(labels)} test images: "
              f"{float((probs.argmax(1) == labels).mean()):.4f}")
    return 0
