"""``mxlite predict``: classify IDX or PNG digit images with a checkpoint."""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np

from .. import checkpoint, context, io, module, symbol
from .._fileio import HEAD_BYTES, describe_file_start
from ..base import FormatError
from ..datasets import load_mnist, read_idx
from .device import device_context
from .errors import UsageError

__all__ = ["FORMATS", "load_images", "run"]

_BATCH = 100

FORMATS = ("IDX image files (plain or .gz, as t10k-images-idx3-ubyte) and 28x28 "
           "PNG images (grayscale or RGB)")
"""What ``mxlite predict FILE...`` reads, recognised by content, not by name."""

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_GZIP_MAGIC = b"\x1f\x8b"


def _png(path: str) -> np.ndarray:
    import matplotlib.image  # noqa: PLC0415  (slow to import; only predict reads PNGs)

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


def _idx(path: str) -> np.ndarray:
    data = read_idx(path)
    if data.ndim != 3 or data.shape[1:] != (28, 28):
        raise FormatError(f"{path}: expected IDX images of shape (N, 28, 28); got "
                          f"{data.shape}. Is it a label file?")
    return data.astype(np.float32) / 255.0


def _is_png(path: str) -> bool:
    """True for a PNG, False for IDX (plain or gzip); FormatError for anything else."""
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if head.startswith(_PNG_MAGIC):
        return True
    if head.startswith((_GZIP_MAGIC, b"\x00\x00")):
        return False
    hint = describe_file_start(head)
    raise FormatError(f"{path}: not an image file mxlite predict reads"
                      f"{f' ({hint})' if hint else ''}; it reads {FORMATS}.")


def load_images(paths: list[str]) -> tuple[np.ndarray, list[str]]:
    """Stack IDX (N, 28, 28) or PNG files into a (N, 1, 28, 28) batch in [0, 1].

    Returns the batch and a name for each image (``file`` or ``file[i]``).
    Pixels are scaled by 1/255, as ``mx.test_utils.get_mnist`` does.

    Raises:
        FormatError: a file is neither (see :data:`FORMATS`), or is unusable.
    """
    batches, names = [], []
    for path in paths:
        if _is_png(path):
            batches.append(_png(path)[None])
            names.append(path)
            continue
        data = _idx(path)
        batches.append(data)
        names.extend(f"{path}[{i}]" for i in range(len(data)))
    return np.concatenate(batches)[:, None, :, :], names


def _checkpoint_files(prefix: str, epoch: int) -> None:
    wanted = [f"{prefix}-symbol.json", f"{prefix}-{epoch:04d}.params"]
    missing = [path for path in wanted if not os.path.isfile(path)]
    if not missing:
        return
    epochs = sorted(p[len(prefix) + 1:-len(".params")]
                    for p in glob.glob(f"{glob.escape(prefix)}-[0-9][0-9][0-9][0-9].params"))
    found = f"epochs found: {', '.join(e.lstrip('0') or '0' for e in epochs)}" \
        if epochs else "no checkpoint with this prefix"
    raise UsageError(f"--model-prefix {prefix} --epoch {epoch}: no such file "
                     f"{missing[0]} ({found})")


def _inputs(args: argparse.Namespace) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    if args.images:
        absent = [p for p in args.images if not os.path.isfile(p)]
        if absent:
            raise UsageError(f"{absent[0]}: no such file")
        images, names = load_images(args.images)
        return images, names, None
    mnist = load_mnist()
    n_test = len(mnist["test_label"])
    rows = np.random.default_rng(args.seed).choice(n_test, min(args.count, n_test),
                                                   replace=False)
    return (mnist["test_data"][rows], [f"test[{i}]" for i in rows],
            mnist["test_label"][rows])


def _first(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} and {len(names) - 1} more"


def _check_fit(sym: symbol.Symbol, params: dict, data_shape: tuple[int, ...],
               files: tuple[str, str]) -> None:
    """FormatError unless the checkpoint's symbol and parameter file belong together.

    Module.init_params would say so in terms of its Python arguments
    (``allow_extra=True``), which a command-line user cannot pass.
    """
    arg_shapes, _, aux_shapes = sym.infer_shape_partial(data=data_shape)
    shapes = dict(zip(sym.list_arguments(), arg_shapes))
    shapes.update(zip(sym.list_auxiliary_states(), aux_shapes))
    for name in ("data", "softmax_label"):  # Module's default data and label names
        shapes.pop(name, None)
    missing = [n for n in shapes if n not in params]
    extra = [n for n in params if n not in shapes]
    problems = []
    if missing:
        problems.append(f"the symbol needs {_first(missing)}, which the file lacks")
    if extra:
        problems.append(f"the file has {_first(extra)}, which the symbol does not use")
    if not problems:  # the same names: compare shapes (() where not inferred)
        problems = [f"{name} has shape {tuple(params[name].shape)} in the file but "
                    f"the symbol needs {tuple(shape)}" for name, shape in shapes.items()
                    if shape and tuple(params[name].shape) != tuple(shape)][:1]
    if problems:
        raise FormatError(f"{files[0]} and {files[1]} do not belong together: "
                          f"{'; '.join(problems)}.")


def _load_module(args: argparse.Namespace, ctx: context.Context,
                 provide_data: list[io.DataDesc]) -> module.Module:
    """The checkpoint as a Module bound for inference, its parameters checked."""
    data_shape = tuple(provide_data[0].shape)
    files = (checkpoint.symbol_file(args.model_prefix),
             checkpoint.params_file(args.model_prefix, args.epoch))
    sym, arg_params, aux_params = checkpoint.load_checkpoint(args.model_prefix,
                                                             args.epoch)
    _check_fit(sym, {**arg_params, **aux_params}, data_shape, files)
    mod = module.Module(sym, context=ctx)
    mod.bind(data_shapes=provide_data, for_training=False)
    mod.set_params(arg_params, aux_params)
    return mod


def _predict(args: argparse.Namespace, ctx: context.Context,
             images: np.ndarray) -> np.ndarray:
    with ctx:
        batches = io.NDArrayIter(images, batch_size=min(_BATCH, len(images)))
    mod = _load_module(args, ctx, batches.provide_data)
    return mod.predict(batches).asnumpy()


def run(args: argparse.Namespace) -> int:
    """Print one prediction per image (and the accuracy on test images); return 0."""
    ctx = device_context(args.ctx, "mxlite predict")
    _checkpoint_files(args.model_prefix, args.epoch)
    images, names, labels = _inputs(args)
    probs = _predict(args, ctx, images)
    width = max(len(n) for n in names)
    for i, row in enumerate(probs):
        truth = "" if labels is None else f"  label {int(labels[i])}"
        print(f"{names[i]:{width}s}  predicted {int(row.argmax())}  "
              f"p={row.max():.4f}{truth}")
    if labels is not None:
        correct = int((probs.argmax(1) == labels).sum())
        print(f"accuracy on {len(labels)} test images: {correct / len(labels):.4f} "
              f"({correct}/{len(labels)})")
    return 0
