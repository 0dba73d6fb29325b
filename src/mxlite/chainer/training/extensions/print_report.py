"""``PrintReport``: print LogReport's entries as aligned columns."""

from __future__ import annotations

import sys
from typing import IO, Any

from ....base import ParamError
from .. import extension
from .log_report import LogReport

__all__ = ["PrintReport"]


class PrintReport(extension.Extension):
    """Print the chosen ``entries`` of each new LogReport entry.

    Columns are ``max(10, len(name))`` wide and two spaces apart; values use
    ``'{:<Wg}'`` (Chainer's layout); a missing value leaves the column blank.
    Each line is preceded by ``ESC[J`` (clear to the end of the screen), as
    Chainer does, so a ProgressBar drawn below is erased.

    Args:
        entries: observation keys, e.g. ``['epoch', 'main/loss']``.
        log_report: the name of a LogReport registered on the trainer, or a
            LogReport instance to drive itself.
        out: the stream; None (Chainer: ``sys.stdout``) means ``sys.stdout`` as
            it is when writing, so a later redirection is followed.
    """

    def __init__(self, entries: list[str], log_report: Any = "LogReport",
                 out: IO[str] | None = None) -> None:
        self._entries = entries
        self._log_report = log_report
        self._stream = out
        self._log_len = 0
        widths = [max(10, len(s)) for s in entries]
        self._header: str | None = "  ".join(
            f"{{:{w}}}" for w in widths).format(*entries) + "\n"
        self._templates = [(entry, f"{{:<{w}g}}  ", " " * (w + 2))
                           for entry, w in zip(entries, widths)]

    @property
    def _out(self) -> IO[str]:
        return sys.stdout if self._stream is None else self._stream

    def __call__(self, trainer: Any) -> None:
        out = self._out
        if self._header:
            out.write(self._header)
            self._header = None
        log_report = self._log_report
        if isinstance(log_report, str):
            log_report = trainer.get_extension(log_report)
        elif isinstance(log_report, LogReport):
            log_report(trainer)
        else:
            raise ParamError(f"PrintReport: log_report must be a name or a LogReport; "
                             f"got {type(log_report).__name__}.")
        log = log_report.log
        while len(log) > self._log_len:
            out.write("\033[J")
            self._print(log[self._log_len])
            self._log_len += 1

    def serialize(self, serializer: Any) -> None:
        if isinstance(self._log_report, LogReport):
            self._log_report.serialize(serializer["_log_report"])

    def _print(self, observation: dict) -> None:
        out = self._out
        for entry, template, empty in self._templates:
            out.write(template.format(observation[entry]) if entry in observation
                      else empty)
        out.write("\n")
        if hasattr(out, "flush"):
            out.flush()
