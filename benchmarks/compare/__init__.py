"""Side-by-side MNIST training benchmark: mxlite against its peers.

``python -m benchmarks.compare`` runs every contender script under
``benchmarks/peers/`` as its own pinned process, interleaved over repeats,
parses each run's ``RESULT`` line, and writes ``<out>/<date>-<cpu|gpu>.json``
(every run, the aggregates, the machine) and the same-named ``.md`` table.

Modules: :mod:`.contenders` (who runs, with which interpreter and
environment), :mod:`.runner` (one subprocess and its ``RESULT`` line),
:mod:`.aggregate` and :mod:`.report` (pure: numbers and markdown),
:mod:`.machine` (what it ran on).
"""
