"""One core: the seed's MLP through mxlite.chainer and through mx.sym runs the
same registry operators with the same parameters, and gives the same numbers."""

from __future__ import annotations

import json

import numpy as np

import mxlite as mx
import mxlite.chainer as chainer
from mxlite import autograd
from mxlite.chainer import functions as F
from mxlite.chainer import links as L


class MLP(chainer.Chain):
    def __init__(self) -> None:
        super().__init__()
        with self.init_scope():
            self.l1 = L.Linear(None, 50)
            self.l2 = L.Linear(None, 50)
            self.l3 = L.Linear(None, 10)

    def forward(self, x):
        return self.l3(F.relu(self.l2(F.relu(self.l1(x)))))


def _symbol_mlp():
    data = mx.sym.var("data")
    h = data
    for i, n in enumerate((50, 50, 10), 1):
        h = mx.sym.FullyConnected(h, num_hidden=n, name=f"fc{i}")
        if i < 3:
            h = mx.sym.Activation(h, act_type="relu", name=f"relu{i}")
    return h


def _chainer_ops(y) -> list:
    return [(e.key[0], dict(e.key[1].items())) for e in autograd._collect([y])]


def _symbol_ops(sym) -> list:
    nodes = json.loads(sym.tojson())["nodes"]
    return [(n["op"], n.get("attrs", {})) for n in nodes if n["op"] != "null"]


def test_chainer_mlp_and_symbol_mlp_lower_to_the_same_operators():
    x = np.random.default_rng(0).random((4, 784), dtype=np.float32)
    model = MLP()
    y = model(chainer.Variable(x))
    mine = _chainer_ops(y)
    theirs = _symbol_ops(_symbol_mlp())
    assert [name for name, _ in mine] == [name for name, _ in theirs] == [
        "FullyConnected", "Activation", "FullyConnected", "Activation", "FullyConnected"]
    for (_, p_mine), (_, p_sym) in zip(mine, theirs):
        for key, value in p_sym.items():
            assert str(p_mine[key]) == value, (key, p_mine, p_sym)
    exe = _symbol_mlp().bind(mx.cpu(), {
        "data": mx.nd.array(x),
        **{f"fc{i}_weight": mx.nd.array(np.asarray(lin.W.array))
           for i, lin in enumerate((model.l1, model.l2, model.l3), 1)},
        **{f"fc{i}_bias": mx.nd.array(np.asarray(lin.b.array))
           for i, lin in enumerate((model.l1, model.l2, model.l3), 1)}})
    np.testing.assert_array_equal(exe.forward()[0].asnumpy(), np.asarray(y.array))
