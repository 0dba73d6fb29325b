"""mxlite.mocha.Net: construction, topology and shape errors, in-place layers,
parameter sharing through the backend, printing, the HDF5 data layer, and
the same MLP lowering to the same operators as ``mx.sym``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ContextError, ParamError, ShapeError
from mxlite.context import num_gpus
from mxlite.datasets.hdf5 import write_tree
from mxlite.mocha import (
    AccuracyLayer,
    ConcatLayer,
    ConvolutionLayer,
    CPUBackend,
    DropoutLayer,
    GPUBackend,
    HDF5DataLayer,
    InnerProductLayer,
    MemoryDataLayer,
    Net,
    Neurons,
    PoolingLayer,
    ReLULayer,
    SoftmaxLossLayer,
    TopologyError,
    forward,
    get_layer_state,
    shutdown,
    srand,
)


def _data(n=4, shape=(3,), classes=3, name="data", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *shape)).astype(np.float32)
    y = rng.integers(0, classes, n).astype(np.float32)
    return MemoryDataLayer(name=name, batch_size=n, data=[x, y]), x, y


def _ip(name, bottom, top, dim=3, **kw):
    return InnerProductLayer(name=name, output_dim=dim, bottoms=[bottom], tops=[top], **kw)


def _params(net, name):
    return [p.data.asnumpy() for p in get_layer_state(net, name).parameters]


# -- order and in-place layers ---------------------------------------------------------------
def test_layers_in_any_order_give_the_same_net():
    data, _, _ = _data()
    chain = [data, _ip("ip1", "data", "ip1", 4), _ip("ip2", "ip1", "ip2"),
             SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])]
    backend = CPUBackend()
    a = Net("a", backend, chain)
    b = Net("b", backend, chain[::-1])
    assert [x.name for x in a.layers] == [x.name for x in b.layers] == [
        "data", "ip1", "ip2", "loss"]
    assert forward(a) == forward(b)


def test_in_place_layers_run_after_the_producer_and_before_readers():
    data, x, _ = _data()
    layers = [_ip("ip2", "ip1", "ip2"),                   # a reader, given first
              DropoutLayer(name="drop", bottoms=["ip1"]),  # in place, no tops
              ReLULayer(name="relu", bottoms=["ip1"]),     # in place, no tops
              _ip("ip1", "data", "ip1", 4), data]
    net = Net("inplace", CPUBackend(), layers)
    assert [x.name for x in net.layers] == ["data", "ip1", "drop", "relu", "ip2"]
    forward(net)
    (w1, b1), (w2, b2) = _params(net, "ip1"), _params(net, "ip2")
    hidden = np.maximum(x @ w1.T + b1, 0)
    assert (x @ w1.T + b1).min() < 0  # the ReLU has something to do
    np.testing.assert_allclose(get_layer_state(net, "ip2").blobs[0].asnumpy(),
                               hidden @ w2.T + b2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.output_blobs["ip1"].asnumpy(), hidden, rtol=1e-6)


# -- construction errors -----------------------------------------------------------------------
def test_missing_blob_names_the_reader_and_suggests():
    data, _, _ = _data()
    with pytest.raises(TopologyError) as err:
        Net("n", CPUBackend(), [data, _ip("ip1", "data", "ip1"), _ip("ip2", "ipl", "ip2")])
    msg = str(err.value)
    assert "Net 'n': layer 'ip2' reads blob 'ipl', which no layer writes." in msg
    assert "Did you mean 'ip1'?" in msg


def test_a_blob_written_twice_is_an_error():
    data, _, _ = _data()
    with pytest.raises(TopologyError, match="blob 'h' is written by two layers, 'a' and 'b'"):
        Net("n", CPUBackend(), [data, _ip("a", "data", "h"), _ip("b", "data", "h")])


def test_a_cycle_is_an_error():
    data, _, _ = _data()
    with pytest.raises(TopologyError, match=r"the layers \['a', 'b'\] read each other's "
                                            "blobs in a cycle"):
        Net("n", CPUBackend(), [data, _ip("a", "hb", "ha"), _ip("b", "ha", "hb")])


def test_duplicate_layer_names_are_an_error():
    data, _, _ = _data()
    with pytest.raises(TopologyError, match=r"layer names must be unique .* \['ip'\] appear"):
        Net("n", CPUBackend(), [data, _ip("ip", "data", "h1"), _ip("ip", "data", "h2")])


def test_concat_of_different_sizes_is_a_shape_error():
    data = MemoryDataLayer(name="data", tops=["data"], batch_size=2,
                           data=[np.zeros((2, 1, 6, 6), np.float32)])
    layers = [data,
              PoolingLayer(name="pool", kernel=(2, 2), stride=(2, 2), bottoms=["data"],
                           tops=["pool"]),
              ConcatLayer(name="cat", bottoms=["data", "pool"], tops=["cat"])]
    with pytest.raises(ShapeError) as err:
        Net("n", CPUBackend(), layers)
    msg = str(err.value)
    assert "Net 'n': ConcatLayer 'cat' cannot take its bottoms" in msg
    assert "'data' (2, 1, 6, 6), 'pool' (2, 1, 3, 3)" in msg


def test_label_of_the_wrong_shape_is_a_shape_error():
    x = np.zeros((4, 3), np.float32)
    data = MemoryDataLayer(name="data", batch_size=4, data=[x, np.zeros((4, 2), np.float32)])
    with pytest.raises(ShapeError, match=r"SoftmaxLossLayer 'loss': labels 'label' must have "
                                         r"shape \(4,\) or \(4, 1\) .* got \(4, 2\)"):
        Net("n", CPUBackend(), [data, SoftmaxLossLayer(name="loss", bottoms=["data", "label"])])


@pytest.mark.parametrize("make, match", [
    (lambda: ConvolutionLayer(name="c", kernel=0, bottoms=["data"], tops=["c"]),
     r"ConvolutionLayer 'c': kernel must be a pair of integers >= 1; got 0"),
    (lambda: ConvolutionLayer(name="c", n_filter=-1, bottoms=["data"], tops=["c"]),
     r"ConvolutionLayer 'c': n_filter must be an integer >= 1; got -1"),
    (lambda: ConvolutionLayer(name="c", bottoms="data", tops=["c"]),
     r"ConvolutionLayer 'c': bottoms must be a list of blob names such as \['data'\]; "
     r"got 'data'"),
    (lambda: InnerProductLayer(name="ip", output_dim=3, neuron="relu", bottoms=["data"],
                               tops=["ip"]),
     r"InnerProductLayer 'ip': neuron must be one of Neurons\.Identity\(\), .*got 'relu'"),
    (lambda: InnerProductLayer(name="ip", output_dim=0, bottoms=["data"], tops=["ip"]),
     r"InnerProductLayer 'ip': output_dim must be an integer >= 1; got 0"),
    (lambda: PoolingLayer(name="p", kernel=(2, 2), pad=(2, 0), bottoms=["x"], tops=["p"]),
     r"PoolingLayer 'p': pad \(2, 0\) must be smaller than kernel"),
    (lambda: SoftmaxLossLayer(name="loss", bottoms=["ip"]),
     r"SoftmaxLossLayer 'loss': bottoms must name exactly 2 blob\(s\); got \['ip'\]"),
    (lambda: ConvolutionLayer(name="c", bottoms=["a", "b"], tops=["c"]),
     r"ConvolutionLayer 'c': tops must name exactly 2 blob\(s\)"),
])
def test_bad_layer_arguments_are_param_errors(make, match):
    with pytest.raises(ParamError, match=match):
        make()


def test_net_refuses_things_that_are_not_layers():
    data, _, _ = _data()
    with pytest.raises(ParamError, match="layers must be a non-empty list"):
        Net("n", CPUBackend(), data)
    with pytest.raises(ParamError, match="is not a Mocha layer"):
        Net("n", CPUBackend(), [data, "ip1"])
    with pytest.raises(ParamError, match="backend must be CPUBackend"):
        Net("n", "cpu", [data])


# -- parameter sharing ------------------------------------------------------------------------
def test_nets_on_one_backend_share_parameters_of_the_same_layers():
    backend = CPUBackend()
    common = [_ip("ip1", "data", "ip1", 4, neuron=Neurons.ReLU()), _ip("ip2", "ip1", "ip2")]
    train_data, x, _ = _data(name="train")
    test_data, _, _ = _data(name="test")
    train = Net("train", backend, [train_data, *common,
                                   SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])])
    test = Net("test", backend, [test_data, *common,
                                 AccuracyLayer(name="acc", bottoms=["ip2", "label"])])
    for name in ("ip1", "ip2"):
        for mine, theirs in zip(get_layer_state(train, name).parameters,
                                get_layer_state(test, name).parameters):
            assert mine.data is theirs.data
    # a write through one net is seen by the other's forward
    get_layer_state(train, "ip2").parameters[0].data[:] = 0
    get_layer_state(train, "ip2").parameters[1].data[:] = np.array([1, 2, 3], np.float32)
    forward(test)
    np.testing.assert_array_equal(get_layer_state(test, "ip2").blobs[0].asnumpy(),
                                  np.tile([1, 2, 3], (len(x), 1)))
    assert set(backend.params) == {"ip1", "ip2"}
    shutdown(backend)
    assert backend.params == {}
    again = Net("again", backend, [train_data, *common])
    assert get_layer_state(again, "ip1").parameters[0].data is not \
        get_layer_state(test, "ip1").parameters[0].data


def test_param_key_shares_between_differently_named_layers():
    backend = CPUBackend()
    data, _, _ = _data()
    a = Net("a", backend, [data, _ip("enc_a", "data", "h", param_key="enc")])
    b = Net("b", backend, [data, _ip("enc_b", "data", "h", param_key="enc")])
    c = Net("c", backend, [data, _ip("enc_a", "data", "h")])  # its own key: its own arrays
    wa, wb = (get_layer_state(n, n.layers[1].name).parameters[0].data for n in (a, b))
    assert wa is wb
    assert get_layer_state(c, "enc_a").parameters[0].data is not wa
    assert sorted(backend.params) == ["enc", "enc_a"]


def test_same_key_with_other_shapes_is_a_clear_error():
    backend = CPUBackend()
    data, _, _ = _data()
    Net("a", backend, [data, _ip("ip", "data", "h", 3)])
    with pytest.raises(ShapeError) as err:
        Net("b", backend, [data, _ip("ip", "data", "h", 5)])
    msg = str(err.value)
    assert "layer 'ip': parameters 'ip' are registered on this backend with shapes" in msg
    assert "(3, 3)" in msg and "(5, 3)" in msg and "param_key" in msg


# -- printing and backends -------------------------------------------------------------------
def test_str_lists_every_layer_with_its_blob_shapes():
    data = MemoryDataLayer(name="data", batch_size=2, data=[np.zeros((2, 1, 6, 6), np.float32),
                                                           np.zeros(2, np.float32)])
    layers = [data,
              ConvolutionLayer(name="conv1", n_filter=2, kernel=(3, 3), bottoms=["data"],
                               tops=["conv1"]),
              PoolingLayer(name="pool1", kernel=(2, 2), stride=(2, 2), bottoms=["conv1"],
                           tops=["pool1"]),
              _ip("ip1", "pool1", "ip1"),
              SoftmaxLossLayer(name="loss", bottoms=["ip1", "label"])]
    net = Net("lenet", CPUBackend(), layers)
    text = str(net)
    assert text == repr(net)
    lines = text.splitlines()
    assert lines[0] == "Net 'lenet' on Backend(cpu(0))"
    assert len(lines) == 1 + len(layers)
    for name, kind, shapes in [
            ("data", "MemoryDataLayer", "-> data (2, 1, 6, 6), label (2,)"),
            ("conv1", "ConvolutionLayer", "data -> conv1 (2, 2, 4, 4)  "
                                          "[filter (2, 1, 3, 3), bias (2,)]"),
            ("pool1", "PoolingLayer", "conv1 -> pool1 (2, 2, 2, 2)"),
            ("ip1", "InnerProductLayer", "pool1 -> ip1 (2, 3)  [weight (3, 8), bias (3,)]"),
            ("loss", "SoftmaxLossLayer", "ip1, label (sink)")]:
        line = next(x for x in lines if x.split()[0] == name)
        assert kind in line and line.endswith(shapes), line


@pytest.mark.skipif(num_gpus() > 0, reason="a GPU is present")
def test_gpu_backend_without_a_gpu_names_the_count():
    with pytest.raises(ContextError, match=r"GPUBackend: JAX finds 0 GPU\(s\), so GPU 0 "
                                           r"does not exist; use CPUBackend\(\)"):
        GPUBackend()


# -- one core: the same MLP in mx.sym and in Mocha -------------------------------------------
def _op_names(symbol):
    return [n["op"] for n in json.loads(symbol.tojson())["nodes"] if n["op"] != "null"]


def _sym_mlp():
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=128, name="ip1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    return mx.sym.FullyConnected(h, num_hidden=10, name="ip2")


def test_mocha_mlp_and_symbol_mlp_lower_to_the_same_operators():
    rng = np.random.default_rng(0)
    x = rng.random((4, 784), dtype=np.float32)
    y = np.array([0, 3, 9, 1], np.float32)
    layers = [MemoryDataLayer(name="data", batch_size=4, data=[x, y]),
              _ip("ip1", "data", "ip1", 128, neuron=Neurons.ReLU()),
              _ip("ip2", "ip1", "ip2", 10),
              SoftmaxLossLayer(name="loss", bottoms=["ip2", "label"])]
    srand(1)
    net = Net("mlp", CPUBackend(), layers)
    theirs = _op_names(_sym_mlp())
    assert theirs == ["FullyConnected", "Activation", "FullyConnected"]
    graph = json.loads(net.loss_symbol().tojson())["nodes"]
    mine = _op_names(net.loss_symbol())
    for op in set(theirs):
        assert mine.count(op) == theirs.count(op), (op, mine)
    # and with the same attributes
    fcs = [n for n in graph if n["op"] == "FullyConnected"]
    assert [n["attrs"]["num_hidden"] for n in fcs] == ["128", "10"]
    assert [n["attrs"]["act_type"] for n in graph if n["op"] == "Activation"] == ["relu"]
    # the same numbers with the same weights
    forward(net)
    (w1, b1), (w2, b2) = _params(net, "ip1"), _params(net, "ip2")
    exe = _sym_mlp().bind(mx.cpu(), {
        "data": mx.nd.array(x), "ip1_weight": mx.nd.array(w1), "ip1_bias": mx.nd.array(b1),
        "ip2_weight": mx.nd.array(w2), "ip2_bias": mx.nd.array(b2)})
    np.testing.assert_allclose(exe.forward()[0].asnumpy(),
                               get_layer_state(net, "ip2").blobs[0].asnumpy(),
                               rtol=1e-6, atol=1e-6)


# -- HDF5DataLayer in a net -------------------------------------------------------------------
@pytest.fixture
def hdf5_source(tmp_path):
    """Two files (5 and 3 samples); each sample's pixels equal its global id."""
    start, lines = 0, []
    for i, n in enumerate((5, 3)):
        ids = np.arange(start, start + n, dtype=np.float32)
        data = ids[:, None, None, None] * np.ones((1, 1, 2, 2), np.float32)
        write_tree(tmp_path / f"part{i}.h5", {"data": data, "label": (ids % 4)[:, None]})
        lines.append(f"part{i}.h5")
        start += n
    source = tmp_path / "train.txt"
    source.write_text("\n".join(lines) + "\n")
    return str(source)


def _hdf5_net(source, shuffle=False):
    layers = [HDF5DataLayer(name="train-data", source=source, batch_size=3, shuffle=shuffle),
              _ip("ip", "data", "ip", 4),
              SoftmaxLossLayer(name="loss", bottoms=["ip", "label"])]
    return Net("h5", CPUBackend(), layers)


def _ids_seen(net, batches):
    out = []
    for _ in range(batches):
        forward(net)
        data, label = get_layer_state(net, "train-data").blobs
        np.testing.assert_array_equal(label.reshape(-1), data[:, 0, 0, 0] % 4)
        out.append(data[:, 0, 0, 0].astype(int).tolist())
    return out


def test_hdf5_data_layer_reads_the_right_rows(hdf5_source):
    net = _hdf5_net(hdf5_source)
    assert net.blob_shapes["data"] == (3, 1, 2, 2) and net.blob_shapes["label"] == (3, 1)
    assert _ids_seen(net, 4) == [[0, 1, 2], [3, 4, 5], [6, 7, 0], [1, 2, 3]]
    assert get_layer_state(net, "train-data").runtime.epoch == 1
    # the rows reach the graph: ip's output is W x + b of those rows
    w, b = _params(net, "ip")
    x = np.array([1, 2, 3], np.float32)[:, None] * np.ones((1, 4), np.float32)
    np.testing.assert_allclose(get_layer_state(net, "ip").blobs[0].asnumpy(), x @ w.T + b,
                               rtol=1e-6)


def test_hdf5_shuffle_is_reproducible_with_srand(hdf5_source):
    srand(21)
    first = _ids_seen(_hdf5_net(hdf5_source, shuffle=True), 8)
    srand(21)
    again = _ids_seen(_hdf5_net(hdf5_source, shuffle=True), 8)
    srand(22)
    other = _ids_seen(_hdf5_net(hdf5_source, shuffle=True), 8)
    assert first == again
    assert first != other
    flat = [i for batch in first for i in batch]
    assert sorted(flat[:8]) == list(range(8))  # one epoch holds every sample once
    assert flat[:8] != list(range(8))          # and it was shuffled
