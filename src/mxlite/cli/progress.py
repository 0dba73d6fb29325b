"""A terminal progress bar for training epochs (tqdm), as a batch callback."""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

__all__ = ["ProgressCallback"]


class ProgressCallback:
    """Advance a tqdm bar over each epoch's batches.

    It declares ``frequent``, so Module.fit syncs with the device only every
    ``frequent`` batches for it (not every batch).

    Args:
        batches_per_epoch: the length of the bar.
        frequent: advance the bar every this many batches.
    """

    def __init__(self, batches_per_epoch: int, frequent: int = 20) -> None:
        self.total = batches_per_epoch
        self.frequent = max(1, int(frequent))
        self._bar: Any = None
        self._epoch = -1

    def __call__(self, param: Any) -> None:
        if param.epoch != self._epoch:
            self.close()
            self._epoch = param.epoch
            self._bar = tqdm(total=self.total, desc=f"Epoch[{param.epoch}]",
                             leave=False, unit="batch", dynamic_ncols=True)
        done = param.nbatch + 1
        if self._bar is not None:
            self._bar.update(done - self._bar.n)
        if done >= self.total:
            self.close()

    def close(self) -> None:
        """Remove the bar from the terminal."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
