"""Time ``mx.sym.load_json`` on graphs of N variables, to check it scales linearly.

Usage: ``PYTHONPATH=src python tools/symbol_json_scaling.py N [group|concat|chain]``

``group``: N variables as N outputs; ``concat``: N variables into one Concat;
``chain``: N variables summed one ``elemwise_add`` at a time. Prints the JSON
size, the load time and the process's peak resident memory.
"""

from __future__ import annotations

import json
import resource
import sys
import time

import mxlite as mx


def graph(n: int, kind: str) -> dict:
    """The symbol JSON (as a dict) of the workload ``kind`` with ``n`` variables."""
    nodes = [{"op": "null", "name": f"v{i}", "inputs": []} for i in range(n)]
    heads = [[i, 0, 0] for i in range(n)]
    if kind == "concat":
        nodes.append({"op": "Concat", "name": "cat", "attrs": {"num_args": str(n)},
                      "inputs": heads})
        heads = [[n, 0, 0]]
    elif kind == "chain":
        last = 0
        for i in range(1, n):
            nodes.append({"op": "elemwise_add", "name": f"a{i}",
                          "inputs": [[last, 0, 0], [i, 0, 0]]})
            last = len(nodes) - 1
        heads = [[last, 0, 0]]
    return {"nodes": nodes, "arg_nodes": list(range(n)), "heads": heads,
            "attrs": {"mxnet_version": ["int", 10901]}}


def main() -> int:
    n, kind = int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "group"
    text = json.dumps(graph(n, kind))
    mx.sym.load_json(json.dumps(graph(1, kind)))  # imports and first-call costs
    start = time.perf_counter()
    mx.sym.load_json(text)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind} n={n}: {len(text) / 1e6:.1f} MB JSON, load {seconds:.2f} s, "
          f"peak RSS {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
