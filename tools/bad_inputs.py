"""Try bad inputs on mxlite and print a Markdown table of the messages.

Usage: ``PYTHONPATH=src python tools/bad_inputs.py``

The table in docs/reliability.md ("Bad inputs and their messages") is this
script's output, so it stays true: rerun it after changing a message.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import tempfile

import numpy as np

import mxlite as mx
from mxlite.datasets import read_idx, verify_checksums
from mxlite.ndarray.serialization import loads_arrays


def _fit_with_label_lbl() -> None:
    out = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2),
                               name="softmax")
    it = mx.io.NDArrayIter(np.zeros((4, 3), "float32"), np.zeros(4, "float32"),
                           batch_size=2, label_name="lbl")
    mx.mod.Module(out).fit(it, num_epoch=1)


def _backward_without_attach_grad() -> None:
    x = mx.nd.ones((2,))
    with mx.autograd.record():
        y = x * 2
    y.backward()


def _params_huge_empty() -> None:
    loads_arrays(struct.pack("<QQQ", 0x112, 0, 1) + struct.pack("<Iii", 0xF993FAC9, 0, 3)
                 + struct.pack("<3q", 0, 2**62, 2**62) + struct.pack("<iii", 1, 0, 0)
                 + struct.pack("<Q", 0))


def _in_dir(write: dict[str, bytes], call) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in write.items():
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        call(tmp)


CASES = [
    ("`Module.fit` on an iterator whose label is `lbl`", _fit_with_label_lbl),
    ("`mx.nd.zeros((2,), dtype='float128')`",
     lambda: mx.nd.zeros((2,), dtype="float128")),
    ("`mx.nd.zeros((2,), dtype='complex64')`",
     lambda: mx.nd.zeros((2,), dtype="complex64")),
    ("`mx.nd.zeros((2,), dtype='flaot32')`", lambda: mx.nd.zeros((2,), dtype="flaot32")),
    ("`mx.nd.slice(x, begin='-'*9999 + '1', end=(2,))`",
     lambda: mx.nd.slice(mx.nd.zeros((3,)), begin="-" * 9999 + "1", end=(2,))),
    ("`backward()` when nothing has `attach_grad()`", _backward_without_attach_grad),
    ("`.params` record of shape `(0, 2**62, 2**62)`", _params_huge_empty),
    ("`SHA256SUMS` listing `../../etc/passwd`",
     lambda: _in_dir({"SHA256SUMS": b"0" * 64 + b"  ../../etc/passwd\n"},
                     verify_checksums)),
    ("gzip IDX whose header declares 1 GiB",
     lambda: _in_dir({"x.gz": __import__("gzip").compress(
         bytes([0, 0, 8, 1]) + struct.pack(">I", 1 << 30) + bytes(10))},
         lambda d: read_idx(os.path.join(d, "x.gz")))),
]


def _message(call) -> str:
    try:
        call()
    except Exception as err:  # noqa: BLE001  (the table shows whatever is raised)
        text = re.sub(r"/tmp/tmp\w+", "DIR", str(err)).replace("|", "\\|")
        return f"`{type(err).__name__}`: {text}"
    return "(no error)"


def main() -> int:
    print("| bad input | error and message |")
    print("| --- | --- |")
    for label, call in CASES:
        print(f"| {label} | {_message(call)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
