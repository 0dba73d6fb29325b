"""The command-line tool's error kinds and exit codes.

- ``UsageError`` (exit 2): the command line asks for something that is not
  allowed or not there: an unknown sub-command, model or optimizer, a
  negative count, ``--ctx gpu`` on a machine without a GPU, a checkpoint or
  image file that does not exist.
- any ``MXNetError`` (exit 1): the inputs exist but cannot be used: a
  corrupt ``.params`` or IDX file, a PNG that is not 28x28, a failure while
  training.

Either way the tool prints one line on stderr, ``mxlite <command>: error: ...``.
"""

from __future__ import annotations

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "UsageError"]

EXIT_USAGE = 2
EXIT_FAILURE = 1


class UsageError(Exception):
    """A command-line mistake: reported on one line, exit code 2.

    Args:
        message: what is wrong, without the ``mxlite <command>: error:`` prefix.
        prog: the (sub-)command to name in the prefix; default the running one.
    """

    def __init__(self, message: str, prog: str | None = None) -> None:
        super().__init__(message)
        self.prog = prog
