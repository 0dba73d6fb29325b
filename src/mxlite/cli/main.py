"""The ``mxlite`` command: ``train``, ``predict``, ``info`` and ``mnist-hdf5``.

Every error is one line on stderr, ``mxlite <command>: error: <what>``, with
the exit codes of :mod:`mxlite.cli.errors`: 2 for a bad command line
(argparse's convention), 1 for inputs that exist but cannot be used.

The parser is built from light code only (no JAX, NumPy, h5py or
matplotlib), and a command's module is imported only when that command
runs: ``mxlite --help`` and usage errors answer in a fraction of a second
(``benchmarks/cli_startup.py`` measures it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Iterator, Sequence

from ..base import MXNetError
from . import mnist_hdf5
from .errors import EXIT_FAILURE, EXIT_USAGE, UsageError

__all__ = ["UsageError", "build_parser", "main"]

# NOTE: MXNet's tutorials show its log lines as ``INFO:root:Epoch[0] ...``; the
# handler sits on the root logger, so Module's lines (root, as in MXNet) and
# mxlite's named loggers (``INFO:mxlite.callback:...``) both reach it.
LOG_FORMAT = "%(levelname)s:%(name)s:%(message)s"

# command -> the module of mxlite.cli whose ``run(args)`` carries it out
COMMANDS = {"train": "train", "predict": "predict", "info": "info",
            "mnist-hdf5": "mnist_hdf5"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the usage too
        raise UsageError(message, prog=self.prog)


_ARTICLE = {"int": "an int", "float": "a float"}


def _number(kind: type, allowed: str, ok):
    """An argparse type: ``kind(text)`` that must satisfy ``ok`` (``allowed`` says how)."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {_ARTICLE[kind.__name__]}; got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"must be {allowed}; got {text}")
        return value

    return parse


def _positive(kind: type):
    return _number(kind, "> 0", lambda v: v > 0)


_non_negative_int = _number(int, ">= 0", lambda v: v >= 0)
_momentum = _number(float, "in [0, 1)", lambda v: 0.0 <= v < 1.0)


def _add_train(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train the MXNet tutorial's MLP or LeNet on the bundled MNIST",
        description="Train the MLP or LeNet of MXNet's MNIST tutorial, validate on the "
        "test set after each epoch, and write into the run folder: a checkpoint with "
        "optimizer states after each epoch, run.json (the settings), metrics.json and "
        "learning_curve.png. A run never overwrites another.",
        epilog="metrics.json: per epoch, 'seconds' is the epoch's training time as the "
        "log's 'Time cost' says (the first epoch's includes compilation) and "
        "'val_seconds' its validation; 'curve' holds the training loss and accuracy "
        "averaged over every few batches.")
    p.set_defaults(given=frozenset())
    p.add_argument("--model", choices=["mlp", "lenet"], default="mlp", action=_Given,
                   help="the network (default: %(default)s)")
    p.add_argument("--init", choices=["xavier", "msra", "uniform"], default="xavier",
                   action=_Given, help="initial weights: xavier = Xavier(rnd_type="
                   "'gaussian', factor_type='avg', magnitude=2.34), msra = Xavier("
                   "rnd_type='gaussian', factor_type='in', magnitude=2) (He's), uniform = "
                   "Uniform(scale=0.01), MXNet's tutorial's, with which the LeNet needs "
                   "two epochs to start learning; biases start at 0 (default: "
                   "%(default)s)")
    p.add_argument("--epochs", type=_positive(int), default=10, action=_Given,
                   help="epochs to train; with --resume, the total to reach "
                   "(default: %(default)s; with --resume, the run's)")
    p.add_argument("--batch-size", type=_positive(int), default=100, action=_Given,
                   help="examples per batch, at most the training set's "
                   "(default: %(default)s)")
    p.add_argument("--optimizer", default="sgd", action=_Given,
                   help="any name of mx.optimizer.create (default: %(default)s)")
    p.add_argument("--lr", type=_positive(float), default=0.1, action=_Given,
                   help="learning rate (default: %(default)s)")
    p.add_argument("--momentum", type=_momentum, default=0.0, action=_Given,
                   help="momentum of optimizers that take one (default: %(default)s)")
    p.add_argument("--seed", type=_non_negative_int, default=42, action=_Given,
                   help="seed of the initial weights and the data order "
                   "(default: %(default)s)")
    p.add_argument("--ctx", choices=["cpu", "gpu"], default="cpu",
                   help="device to train on (default: %(default)s)")
    _add_train_run_folder(p)


class _Given(argparse.Action):
    """Store the value and note its name in ``args.given``: ``--resume`` keeps
    the run's saved settings and refuses one given with another value."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given = frozenset(getattr(namespace, "given", ())) | {self.dest}


def _add_train_run_folder(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=None, metavar="DIR",
                   help="the run folder (default: runs/<model>-NNN, the next free "
                   "number); a folder that holds a run needs --resume or --overwrite")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--overwrite", action="store_true",
                       help="start afresh in --out: remove the files of the run there "
                       "(checkpoints, run.json, metrics.json, learning_curve.png), "
                       "keep any other file")
    again.add_argument("--resume", nargs="?", const=True, default=False, metavar="DIR",
                       help="continue the run in DIR (or --out) up to --epochs, with "
                       "the settings in its run.json, from its newest complete "
                       "checkpoint: parameters, optimizer states, update count, "
                       "random state and data order, so a killed and resumed run "
                       "ends as an uninterrupted one would (default: off, a new run)")
    p.add_argument("--data-dir", default=None,
                   help="directory of the MNIST IDX files (default: $MXLITE_DATA, "
                   "else the copy bundled with mxlite)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (it is shown only on a terminal anyway)")


def _add_predict(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="classify digits with a checkpoint",
                       description="Print the predicted digit of each image; without "
                       "images, of a random sample of the MNIST test set, with its "
                       "labels and accuracy.")
    p.add_argument("--model-prefix", required=True,
                   help="checkpoint prefix, e.g. mxlite-out/mlp")
    p.add_argument("--epoch", type=_non_negative_int, required=True)
    p.add_argument("images", nargs="*",
                   help="IDX image files (plain or .gz) or 28x28 PNG files")
    p.add_argument("--count", type=_positive(int), default=10,
                   help="test images to sample when no files are given (default 10)")
    p.add_argument("--seed", type=_non_negative_int, default=0,
                   help="seed of the test-set sample")
    p.add_argument("--ctx", choices=["cpu", "gpu"], default="cpu")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = _Parser(prog="mxlite", description="MXNet-style training on JAX/XLA.",
                     epilog="Exit codes: 0 done; 1 an input exists but cannot be used "
                     "(a corrupt file, a wrong image size) or training failed; 2 a bad "
                     "command line (unknown name, bad number, --ctx gpu without a GPU, "
                     "a checkpoint or image file that does not exist). Errors are one "
                     "line on stderr.")
    # Not required=True: `mxlite` alone prints the commands (see main), not
    # argparse's bare "the following arguments are required".
    sub = parser.add_subparsers(dest="command", title="commands", parser_class=_Parser,
                                metavar="{train,predict,info,mnist-hdf5}")
    _add_train(sub)
    _add_predict(sub)
    sub.add_parser("info", help="versions and the devices JAX finds")
    mnist_hdf5.add_parser(sub)
    return parser


def _not_jax_info(record: logging.LogRecord) -> bool:
    """False for JAX's INFO lines ("Unable to initialize backend 'tpu'"...)."""
    return record.levelno >= logging.WARNING or record.name.partition(".")[0] not in (
        "jax", "jaxlib")


@contextlib.contextmanager
def _cli_logging() -> Iterator[None]:
    """INFO lines to stderr for the length of one command; JAX's kept quiet."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    # NOTE: a filter here, not logging.getLogger("jax").setLevel(WARNING): JAX
    # is not imported yet, and a level set before its import becomes the
    # default of its jax_logging_level, which adds JAX's own handler; every
    # JAX warning would then be printed twice.
    handler.addFilter(_not_jax_info)
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _run(args: argparse.Namespace) -> int:
    """Import the command's module (only now: JAX and friends are slow) and run it."""
    command = importlib.import_module(f"{__package__}.{COMMANDS[args.command]}")
    with _cli_logging():
        return command.run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m mxlite``; the exit code."""
    prog = "mxlite"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `mxlite` alone: show what there is to run
            print(parser.format_help(), file=sys.stderr)
            print("mxlite: error: no command given; choose one of the commands above",
                  file=sys.stderr)
            return EXIT_USAGE
        prog = f"mxlite {args.command}"
        return _run(args)
    except UsageError as err:
        print(_one_line(f"{err.prog or prog}: error: {err}"), file=sys.stderr)
        return EXIT_USAGE
    except (MXNetError, OSError) as err:
        print(_one_line(f"{prog}: error: {err}"), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else EXIT_USAGE
