"""Mocha's log lines: ``03-Dec 07:12:34:INFO:root:001700 :: TRAIN obj-val = 0.43609169``.

Mocha.jl's LeNet (MNIST) tutorial shows Mocha's 2014 output through Julia's
Logging.jl: the date as ``dd-Mon HH:MM:SS``, the level and the logger
``root``. The dialect logs to the ``mxlite.mocha`` logger at level INFO
(unless the application set another); when the application has configured
no handler, one printing Mocha's format to standard error is added, else the
records go to the application's handlers.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["info", "logger"]

logger = logging.getLogger("mxlite.mocha")
_FORMAT = "%(asctime)s:%(levelname)s:root:%(message)s"
_DATE = "%d-%b %H:%M:%S"


class _Stderr(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (which a test may have replaced)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _ensure_handler() -> None:
    if logger.level == logging.NOTSET:
        # Mocha printed its INFO lines; a root logger left at WARNING (e.g.
        # logging.basicConfig()) must not swallow them.
        logger.setLevel(logging.INFO)
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = _Stderr()
    handler.setFormatter(logging.Formatter(_FORMAT, _DATE))
    logger.addHandler(handler)


def info(message: str) -> None:
    """Log one line at INFO, in Mocha's format unless the application chose one."""
    _ensure_handler()
    logger.info(message)
