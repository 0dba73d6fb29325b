"""The ``mxlite`` command: ``train``, ``predict`` and ``info``.

Bad arguments print one line, ``mxlite <command>: error: ...``, and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..base import MXNetError
from . import info, predict, train

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(Exception):
    """A command-line mistake: reported on one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        raise UsageError(f"{self.prog}: error: {message}")


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}; got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0; got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(prog="mxlite", description="MXNet-style training on JAX/XLA.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = sub.add_parser("train", help="train on the bundled MNIST")
    train.add_argument("--model", choices=["mlp", "lenet"], default="mlp")
    train.add_argument("--epochs", type=_positive(int), default=10)
    train.add_argument("--batch-size", type=_positive(int), default=100)
    train.add_argument("--optimizer", default="sgd")
    train.add_argument("--lr", type=_positive(float), default=0.1)
    train.add_argument("--momentum", type=float, default=0.0)
    train.add_argument("--ctx", choices=["cpu", "gpu"], default="cpu")
    train.add_argument("--out", default="mxlite-out", help="output directory")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--data-dir", default=None, help="MNIST IDX files (default: bundled)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    predict = sub.add_parser("predict", help="predict digits with a checkpoint")
    predict.add_argument("--model-prefix", required=True)
    predict.add_argument("--epoch", type=int, required=True)
    predict.add_argument("images", nargs="*", help="IDX or 28x28 grayscale PNG files")
    predict.add_argument("--count", type=_positive(int), default=10,
                         help="test images to sample when no files are given")
    predict.add_argument("--ctx", choices=["cpu", "gpu"], default="cpu")
    sub.add_parser("info", help="versions and devices")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m mxlite``."""
    commands = {"train": train.run, "predict": predict.run, "info": info.run}
    try:
        args = build_parser().parse_args(argv)
        return commands[args.command](args)
    except UsageError as err:
        print(err, file=sys.stderr)
        return 2
    except (MXNetError, FileNotFoundError) as err:
        print(f"mxlite: error: {err}", file=sys.stderr)
        return 1
