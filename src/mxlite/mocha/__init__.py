"""Mocha.jl's API: layer nets wired by named blobs, solvers, coffee breaks.

``from mxlite.mocha import *`` gives a Mocha user the names of seed 004's
LeNet tutorial. Julia symbols become strings (``bottoms=["data"]``), arrays
are (N, C, H, W) and indices are 0-based; everything else keeps Mocha's names
and defaults. Every layer lowers to the shared registry operators and every
solver to the shared optimizer rules; training runs through
:mod:`mxlite.training`'s one compiled step.
"""

from __future__ import annotations

__all__: list[str] = []
