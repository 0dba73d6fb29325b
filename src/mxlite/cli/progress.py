"""A terminal progress bar for training epochs (tqdm), as a batch callback."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

__all__ = ["ProgressCallback"]


class ProgressCallback:
    """Advance a tqdm bar; syncs with the device only every ``frequent`` batches."""

    def __init__(self, batches_per_epoch: int, updates_per_epoch: int = 40) -> None:
        self.total = batches_per_epoch
        self.frequent = max(1, batches_per_epoch // updates_per_epoch)
        self._bar: Any = None
        self._epoch = -1

    def __call__(self, param: Any) -> None:
        if param.epoch != self._epoch:
            self.close()
            self._epoch = param.epoch
            self._bar = tqdm(total=self.total, desc=f"epoch {param.epoch}", leave=False,
                             unit="batch")
        done = param.nbatch + 1
        if done % self.frequent == 0 or done == self.total:
            self._bar.update(done - self._bar.n)
        if done >= self.total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
