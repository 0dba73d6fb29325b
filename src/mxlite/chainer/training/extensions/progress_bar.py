"""``ProgressBar``: Chainer's two bars, status line and speed, redrawn in place."""

from __future__ import annotations

import collections
import datetime
import sys
import time
from typing import IO, Any

from ....base import MXNetError
from .. import extension

__all__ = ["ProgressBar"]


class ProgressBar(extension.Extension):
    """Every ``update_interval`` iterations draw::

             total [#####.............................................]  10.00%
        this epoch [#########################.........................]  50.00%
               100 iter, 0 epoch / 20 epochs
            123.45 iters/sec. Estimated time to finish: 0:01:23.

    then move the cursor back up (``ESC[4A``) so the next drawing replaces it.

    Args:
        training_length: ``(length, unit)``; by default the stop trigger's.
        update_interval: iterations between drawings.
        bar_length: characters per bar.
        out: the stream; None (Chainer: ``sys.stdout``) means ``sys.stdout`` as
            it is when writing, so a later redirection is followed.
    """

    def __init__(self, training_length: tuple | None = None, update_interval: int = 100,
                 bar_length: int = 50, out: IO[str] | None = None) -> None:
        self._training_length = training_length
        self._update_interval = update_interval
        self._bar_length = bar_length
        self._stream = out
        self._status_template: str | None = None
        self._recent = collections.deque(maxlen=100)

    @property
    def _out(self) -> IO[str]:
        return sys.stdout if self._stream is None else self._stream

    def __call__(self, trainer: Any) -> None:
        if trainer.updater.iteration % self._update_interval == 0:
            lines = self._lines(trainer)
            self._out.write("\033[J")
            for line in lines:
                self._out.write(line)
            self._out.write(f"\033[{len(lines):d}A")
            self._flush()

    def finalize(self) -> None:
        self._out.write("\033[J")
        self._flush()

    def _flush(self) -> None:
        if hasattr(self._out, "flush"):
            self._out.flush()

    def _length(self, trainer: Any) -> tuple:
        if self._training_length is None:
            get = getattr(trainer.stop_trigger, "get_training_length", None)
            if get is None:
                raise MXNetError("ProgressBar: cannot tell the training length from "
                                 f"the stop trigger {trainer.stop_trigger!r}; pass "
                                 "training_length=(n, 'epoch').")
            self._training_length = get()
        return self._training_length

    def _bar(self, title: str, rate: float) -> str:
        marks = "#" * int(rate * self._bar_length)
        dots = "." * (self._bar_length - len(marks))
        return f"{title} [{marks}{dots}] {rate:6.2%}\n"

    def _lines(self, trainer: Any) -> list[str]:
        updater = trainer.updater
        iteration, epoch = updater.iteration, updater.epoch_detail
        length, unit = self._length(trainer)
        done = iteration if unit == "iteration" else epoch
        lines = [self._bar("     total", min(done / length, 1.0)),
                 self._bar("this epoch", epoch - int(epoch))]
        if self._status_template is None:
            self._status_template = (
                f"{{0.iteration:10}} iter, {{0.epoch}} epoch / {length} {unit}s\n")
        lines.append(self._status_template.format(updater))
        speed_t, speed_e = self._speed(iteration, epoch)
        speed = speed_t if unit == "iteration" else speed_e
        left = max((length - done) / speed, 0.0) if speed else float("inf")
        eta = datetime.timedelta(seconds=left) if left != float("inf") else "inf"
        lines.append(f"{speed_t:10.5g} iters/sec. Estimated time to finish: {eta}.\n")
        return lines

    def _speed(self, iteration: int, epoch_detail: float) -> tuple[float, float]:
        now = time.time()
        self._recent.append((iteration, epoch_detail, now))
        old_t, old_e, old_sec = self._recent[0]
        span = now - old_sec
        if span == 0:
            return float("inf"), float("inf")
        return (iteration - old_t) / span, (epoch_detail - old_e) / span
