"""MXNet 1.x Python's ``mx.model.FeedForward``: a thin holder over Module.

Trained on the learnable synthetic data of ``tests/module/helpers.py``: fit on
arrays and on iterators, MXNet's log lines and callback numbering, predict and
score against Module, save/load, create, epoch_size and the error messages.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import ParamError, ShapeError

from .module.helpers import as_nd, as_np, dataset, max_diff, tiny, tiny_params

pytestmark = pytest.mark.filterwarnings(
    "ignore:mx.model.FeedForward is deprecated:DeprecationWarning"
)


# FeedForward's own lines go to its logger (root by default); the MXNet
# callbacks it uses (validation metrics, Speedometer) log to mxlite.callback.
LOGGERS = ("root", "mxlite.callback")


def root_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name in LOGGERS]


@pytest.fixture(scope="module")
def data():
    x, y = dataset(1020, seed=0)
    vx, vy = dataset(230, seed=1)
    return {"x": x, "y": y, "vx": vx, "vy": vy}


@pytest.fixture(scope="module")
def trained(data):
    """10 epochs on arrays (batches of 50, shuffled, leftovers rolled over)."""
    batches, epochs = [], []
    logger = logging.getLogger()
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        mx.random.seed(3)
        model = mx.model.FeedForward(
            tiny(),
            num_epoch=10,
            numpy_batch_size=50,
            learning_rate=0.1,
            momentum=0.9,
            initializer=mx.init.Xavier(),
        )
        model.fit(
            data["x"],
            data["y"],
            eval_data=(data["vx"], data["vy"]),
            batch_end_callback=lambda p: batches.append((p.epoch, p.nbatch)),
            epoch_end_callback=lambda *a: epochs.append(a),
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    lines = [r.getMessage() for r in records if r.name in LOGGERS]
    return {"model": model, "lines": lines, "batches": batches, "epochs": epochs}


def module_with(model: mx.model.FeedForward, batch: int) -> mx.mod.Module:
    mod = mx.mod.Module(model.symbol)
    mod.bind([("data", (batch, 20))], [("softmax_label", (batch,))], for_training=False)
    mod.set_params(model.arg_params, model.aux_params)
    return mod


# -- training --------------------------------------------------------------------------


def test_fit_on_arrays_learns(trained, data):
    validation = [
        float(line.split("=")[1])
        for line in trained["lines"]
        if "Validation-accuracy" in line
    ]
    assert len(validation) == 10 and validation[-1] > 0.75  # chance is 0.1
    score = trained["model"].score(mx.io.NDArrayIter(data["vx"], data["vy"], 50))
    assert score == pytest.approx(validation[-1], abs=1e-6)


def test_fit_logs_mxnet_feedforward_lines(trained):
    expected = [
        pattern
        for epoch in range(10)
        for pattern in (
            rf"Epoch\[{epoch}\] Resetting Data Iterator",
            rf"Epoch\[{epoch}\] Time cost=\d+\.\d{{3}}",
            rf"Epoch\[{epoch}\] Validation-accuracy=0\.\d{{6}}",
        )
    ]
    lines = trained["lines"]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_batches_count_from_1_and_leftover_rows_roll_over(trained):
    # 1020 rows in batches of 50: the 20 left over are carried into the next
    # epoch (1040 rows: 20 batches, 40 left), then 1060 rows give 21 batches...
    per_epoch = [
        [n for e, n in trained["batches"] if e == epoch] for epoch in range(10)
    ]
    assert per_epoch[0] == list(range(1, 21))
    assert [len(b) for b in per_epoch] == [20, 20, 21, 20, 21, 20, 20, 21, 20, 21]


def test_epoch_end_callback_gets_mxnet_arguments(trained):
    epochs = trained["epochs"]
    assert [e for e, *_ in epochs] == list(range(10))
    _, symbol, arg_params, aux_params = epochs[-1]
    assert symbol is trained["model"].symbol and aux_params == {}
    assert max_diff(as_np(arg_params), as_np(trained["model"].arg_params)) == 0


@pytest.mark.slow
def test_eval_callbacks_get_mxnet_feedforward_numbers():
    x, y = dataset(40, seed=8)
    vx, vy = dataset(23, seed=9)  # 5 batches of 5, the last padded
    ends, batches = [], []
    model = mx.model.FeedForward(tiny(), num_epoch=2, numpy_batch_size=10)
    model.fit(
        x,
        y,
        eval_data=mx.io.NDArrayIter(vx, vy, 5),
        eval_end_callback=lambda p: ends.append(
            (p.epoch, p.nbatch, p.eval_metric.name)
        ),
        eval_batch_end_callback=lambda p: batches.append((p.epoch, p.nbatch)),
    )
    assert ends == [(0, 5, "accuracy"), (1, 5, "accuracy")]  # batches read
    assert batches == [(e, i) for e in (0, 1) for i in range(5)]  # from 0, as MXNet


def test_fit_equals_module_fit():
    """Same data, parameters and optimizer: FeedForward trains as Module does."""
    x, y = dataset(60, seed=4)
    kwargs = {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}
    model = mx.model.FeedForward(
        tiny(), num_epoch=2, arg_params=as_nd(tiny_params()), aux_params={}, **kwargs
    )
    model.fit(mx.io.NDArrayIter(x, y, 10), eval_end_callback=None)
    mod = mx.mod.Module(tiny())
    mod.fit(
        mx.io.NDArrayIter(x, y, 10),
        num_epoch=2,
        optimizer_params=kwargs,
        arg_params=as_nd(tiny_params()),
        aux_params={},
    )
    assert max_diff(as_np(model.arg_params), as_np(mod.get_params()[0])) < 1e-7
    assert max_diff(as_np(model.arg_params), tiny_params()) > 1e-3  # it trained


def test_epoch_size_epochs_go_on_where_the_last_stopped(caplog):
    x, y = dataset(80, seed=5)  # 8 batches of 10
    nbatches = []
    model = mx.model.FeedForward(
        tiny(),
        num_epoch=3,
        epoch_size=5,
        learning_rate=0.1,
        arg_params=as_nd(tiny_params()),
        aux_params={},
    )
    with caplog.at_level(logging.INFO):
        model.fit(
            mx.io.NDArrayIter(x, y, 10),
            eval_end_callback=None,
            batch_end_callback=lambda p: nbatches.append(p.nbatch),
        )
    assert nbatches == [1, 2, 3, 4, 5] * 3
    assert not [line for line in root_lines(caplog) if "Resetting" in line]
    # 15 batches in a row (the data read through twice), not batches 1-5 thrice
    mod = mx.mod.Module(tiny())
    mod.fit(
        mx.io.ResizeIter(mx.io.NDArrayIter(x, y, 10), 15),
        num_epoch=1,
        optimizer_params={"learning_rate": 0.1},
        arg_params=as_nd(tiny_params()),
        aux_params={},
    )
    assert max_diff(as_np(model.arg_params), as_np(mod.get_params()[0])) < 1e-7


def test_speedometer_counts_feedforward_batches(caplog):
    x, y = dataset(120, seed=2)
    model = mx.model.FeedForward(tiny(), num_epoch=1, numpy_batch_size=10)
    with caplog.at_level(logging.INFO):
        model.fit(x, y, batch_end_callback=mx.callback.Speedometer(10, 4))
    speeds = [line for line in root_lines(caplog) if "Speed" in line]
    assert [
        re.match(r"Epoch\[0\] Batch \[(\d+)-(\d+)\]", s).groups() for s in speeds
    ] == [("0", "4"), ("4", "8"), ("8", "12")]


def test_a_clock_callback_starts_after_batch_1_not_after_its_first_chunk():
    """A callback read every 4 batches (from 1) is also synced after batch 1,
    where a Speedometer starts its clock: the metric then holds one batch."""
    x, y = dataset(80, seed=2)
    seen = {}

    class EveryFour:
        frequent = 4

        def __call__(self, param):
            seen.setdefault(param.nbatch, param.eval_metric.num_inst)

    model = mx.model.FeedForward(tiny(), num_epoch=1, numpy_batch_size=10)
    model.fit(x, y, batch_end_callback=EveryFour())
    assert seen[1] == 10 and seen[4] == 40 and seen[8] == 80


def test_module_warnings_pass_its_info_lines_do_not(caplog):
    x, y = dataset(20, seed=2)
    sgd = mx.optimizer.SGD(learning_rate=0.1)  # rescale_grad 1, not 1/batch
    model = mx.model.FeedForward(
        tiny(), num_epoch=1, optimizer=sgd, numpy_batch_size=10
    )
    with caplog.at_level(logging.INFO):
        model.fit(x, y, logger=logging)  # MXNet code passes the logging module
    assert "rescale_grad is not normalized" in caplog.text
    assert "Train-accuracy" not in caplog.text and "Epoch[0] Time cost=" in caplog.text


def test_a_second_fit_continues_from_the_trained_parameters():
    x, y = dataset(40, seed=7)
    model = mx.model.FeedForward(
        tiny(),
        num_epoch=1,
        learning_rate=0.0,
        arg_params=as_nd(tiny_params()),
        aux_params={},
    )
    model.fit(mx.io.NDArrayIter(x, y, 10))  # learning rate 0: nothing changes
    assert max_diff(as_np(model.arg_params), tiny_params()) == 0
    model.kwargs["learning_rate"] = 0.1
    model.fit(mx.io.NDArrayIter(x, y, 10))
    assert max_diff(as_np(model.arg_params), tiny_params()) > 1e-3


# -- inference -------------------------------------------------------------------------


@pytest.mark.slow
def test_predict_equals_module_predict(trained, data):
    model = trained["model"]
    probs = model.predict(data["vx"])  # an array: batches of numpy_batch_size, padded
    assert isinstance(probs, np.ndarray) and probs.shape == (230, 10)
    want = module_with(model, 230).predict(data["vx"]).asnumpy()
    np.testing.assert_allclose(probs, want, rtol=1e-6, atol=1e-7)
    it = mx.io.NDArrayIter(
        data["vx"], data["vy"], 64
    )  # 230 rows: the last batch padded
    np.testing.assert_array_equal(model.predict(it), model.predict(it))
    np.testing.assert_allclose(model.predict(it), want, rtol=1e-6, atol=1e-7)
    unlabelled = mx.io.NDArrayIter(data["vx"], batch_size=100)
    np.testing.assert_allclose(model.predict(unlabelled), want, rtol=1e-6, atol=1e-7)


def test_predict_return_data_and_num_batch(trained, data):
    it = mx.io.NDArrayIter(data["vx"], data["vy"], 64)
    out, x, y = trained["model"].predict(it, return_data=True)
    assert out.shape == (230, 10)
    np.testing.assert_array_equal(x, data["vx"])
    np.testing.assert_array_equal(y, data["vy"])
    out, x, y = trained["model"].predict(it, num_batch=2, return_data=True)
    assert out.shape == (128, 10) and x.shape == (128, 20) and y.shape == (128,)
    it.reset()
    next(it)
    rest = trained["model"].predict(it, reset=False)
    assert rest.shape == (230 - 64, 10)


def test_predict_gives_a_list_for_several_outputs(trained, data):
    model = trained["model"]
    group = mx.sym.Group([model.symbol, model.symbol.get_internals()["fc2_output"]])
    two = mx.model.FeedForward(group, arg_params=model.arg_params, aux_params={})
    probs, logits = two.predict(data["vx"][:7])
    assert probs.shape == (7, 10) and logits.shape == (7, 10)
    np.testing.assert_allclose(probs, model.predict(data["vx"][:7]), rtol=1e-6)


def test_score_is_the_metric_value(trained, data):
    model = trained["model"]
    it = mx.io.NDArrayIter(data["vx"], data["vy"], 64)
    accuracy = (model.predict(data["vx"]).argmax(1) == data["vy"]).mean()
    assert model.score(it) == pytest.approx(accuracy, abs=1e-9)
    both = model.score(it, eval_metric=["acc", "ce"])
    assert both[0] == pytest.approx(accuracy, abs=1e-9) and both[1] > 0
    calls = []
    model.score(it, num_batch=2, batch_end_callback=lambda p: calls.append(p.nbatch))
    assert calls == [0, 1]


# -- checkpoints and create ------------------------------------------------------------


@pytest.mark.slow
def test_save_load_round_trip(trained, data, tmp_path, caplog):
    model = trained["model"]
    prefix = str(tmp_path / "ff")
    model.save(prefix)  # epoch defaults to num_epoch
    assert (tmp_path / "ff-symbol.json").is_file() and (
        tmp_path / "ff-0010.params"
    ).is_file()
    loaded = mx.model.FeedForward.load(prefix, 10, num_epoch=12, learning_rate=0.1)
    assert loaded.begin_epoch == 10 and loaded.symbol.tojson() == model.symbol.tojson()
    assert max_diff(as_np(loaded.arg_params), as_np(model.arg_params)) == 0
    np.testing.assert_array_equal(loaded.predict(data["vx"]), model.predict(data["vx"]))
    loaded.save(str(tmp_path / "again"), 10)
    assert (tmp_path / "again-0010.params").read_bytes() == (
        tmp_path / "ff-0010.params"
    ).read_bytes()
    with caplog.at_level(logging.INFO):
        loaded.fit(data["x"], data["y"])  # goes on at epoch 10
    epochs = {
        re.match(r"Epoch\[(\d+)\]", line).group(1)
        for line in root_lines(caplog)
        if line.startswith("Epoch[")
    }
    assert epochs == {"10", "11"}


def test_create_makes_and_fits_a_model(data):
    mx.random.seed(5)
    model = mx.model.FeedForward.create(
        tiny(),
        data["x"],
        data["y"],
        num_epoch=3,
        initializer=mx.init.Xavier(),
        numpy_batch_size=50,
        learning_rate=0.1,
        momentum=0.9,
        eval_end_callback=None,
    )
    assert isinstance(model, mx.model.FeedForward) and model.num_epoch == 3
    assert model.numpy_batch_size == 50 and model.kwargs["momentum"] == 0.9
    accuracy = (model.predict(data["vx"]).argmax(1) == data["vy"]).mean()
    assert accuracy > 0.5


def test_labels_may_be_a_column_or_an_ndarray(data):
    model = mx.model.FeedForward(
        tiny(),
        num_epoch=1,
        arg_params=as_nd(tiny_params()),
        aux_params={},
        learning_rate=0.0,
    )
    model.fit(
        mx.nd.array(data["x"][:40]),
        mx.nd.array(data["y"][:40, None]),
        eval_data=(data["vx"][:30].tolist(), data["vy"][:30].tolist()),
    )
    assert max_diff(as_np(model.arg_params), tiny_params()) == 0


# -- the API surface and errors --------------------------------------------------------


def test_feedforward_is_deprecated_and_not_at_the_root():
    with pytest.warns(DeprecationWarning, match=r"use mx\.mod\.Module instead"):
        mx.model.FeedForward(tiny())
    assert not hasattr(mx, "FeedForward")  # MXNet 1.9.1: mx.model.FeedForward only
    assert mx.model.BatchEndParam is mx.callback.BatchEndParam
    assert mx.model.save_checkpoint is mx.checkpoint.save_checkpoint


def test_allow_extra_params_drops_what_the_symbol_lacks(data):
    extra = {**as_nd(tiny_params()), "bogus_weight": mx.nd.zeros((2,))}
    model = mx.model.FeedForward(
        tiny(), arg_params=extra, aux_params={}, allow_extra_params=True
    )
    assert sorted(model.arg_params) == sorted(tiny_params())
    strict = mx.model.FeedForward(tiny(), arg_params=extra, aux_params={}, num_epoch=1)
    for call in (
        lambda: strict.predict(data["vx"]),
        lambda: strict.fit(data["x"], data["y"]),
    ):
        with pytest.raises(
            ParamError,
            match=r"'bogus_weight' is not an argument of the "
            r"symbol; pass allow_extra_params=True",
        ):
            call()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            {"symbol": lambda key: None},
            ParamError,
            r"FeedForward: symbol must be a Symbol; got function\. \(MXNet's sym_gen",
        ),
        (
            {"ctx": "cpu"},
            ParamError,
            r"FeedForward: ctx must be a Context .*; got 'cpu'\.",
        ),
        (
            {"numpy_batch_size": 0},
            ParamError,
            r"FeedForward: numpy_batch_size must be an int >= 1; got 0\.",
        ),
        (
            {"num_epoch": 2.5},
            ParamError,
            r"FeedForward: num_epoch must be None or an int >= 0",
        ),
        (
            {"epoch_size": 0},
            ParamError,
            r"FeedForward: epoch_size must be None or an int >= 1",
        ),
        (
            {"begin_epoch": None},
            ParamError,
            r"FeedForward: begin_epoch must be an int >= 0",
        ),
        (
            {"optimizer": 5},
            ParamError,
            r"FeedForward: optimizer must be a name \('sgd'\) or an Optimizer; "
            r"got int\.",
        ),
        (
            {"optimizer": mx.optimizer.SGD(), "learning_rate": 0.1},
            ParamError,
            r"optimizer arguments \['learning_rate'\] are used only with an "
            r"optimizer name",
        ),
    ],
)
def test_constructor_errors(kwargs, error, match):
    kwargs = {"symbol": tiny(), **kwargs}
    with pytest.raises(error, match=match):
        mx.model.FeedForward(**kwargs)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda m, x, y: m.fit(x.tolist(), y),
            ParamError,
            r"FeedForward\.fit: X must be a DataIter, an NDArray or a "
            r"numpy\.ndarray; got list\.",
        ),
        (
            lambda m, x, y: m.fit(x),
            ParamError,
            r"FeedForward\.fit: y \(the labels\) must be given when X is an array; "
            r"got None\.",
        ),
        (
            lambda m, x, y: m.fit(x, y[:5]),
            ShapeError,
            r"FeedForward\.fit: y must have one label per row of X "
            r"\(shape \(40,\) or \(40, 1\)\); "
            r"got shape \(5,\)\.",
        ),
        (
            lambda m, x, y: m.fit(x, y.tolist()),
            ParamError,
            r"y must be a numpy\.ndarray or an NDArray when X is an array; got list\.",
        ),
        (
            lambda m, x, y: m.fit(mx.io.NDArrayIter(x, y, 10), y),
            ParamError,
            r"FeedForward\.fit: y must be None when X is a DataIter",
        ),
        (
            lambda m, x, y: m.fit(x[:0], y[:0]),
            ShapeError,
            r"X must hold at least one example \(rows on axis 0\); "
            r"got shape \(0, 20\)\.",
        ),
        (
            lambda m, x, y: m.fit(x, y, eval_data=x),
            ParamError,
            r"FeedForward\.fit: eval_data must be a DataIter or an \(X, y\) pair; "
            r"got ndarray\.",
        ),
        (
            lambda m, x, y: m.fit(x, y, eval_data=(x, None)),
            ParamError,
            r"FeedForward\.fit \(eval_data\): y \(the labels\) must be given",
        ),
        (
            lambda m, x, y: m.score(x),
            ParamError,
            r"FeedForward\.score: X must be a DataIter with labels "
            r"\(score takes no y\); got "
            r"ndarray\. Wrap arrays: mx\.io\.NDArrayIter\(X, y, batch_size\)\.",
        ),
        (
            lambda m, x, y: m.predict(x, num_batch=0),
            ParamError,
            r"FeedForward\.predict: num_batch must be None or an int >= 1; got 0\.",
        ),
    ],
)
def test_fit_predict_score_errors(call, error, match):
    x, y = dataset(40, seed=1)
    model = mx.model.FeedForward(
        tiny(), num_epoch=1, arg_params=as_nd(tiny_params()), aux_params={}
    )
    with pytest.raises(error, match=match):
        call(model, x, y)


def test_errors_without_epochs_or_parameters(tmp_path):
    x, y = dataset(20, seed=1)
    bare = mx.model.FeedForward(tiny())
    with pytest.raises(
        ParamError,
        match=r"FeedForward\.fit: num_epoch is None; give "
        r"FeedForward\(\.\.\., num_epoch=n\)",
    ):
        bare.fit(x, y)
    with pytest.raises(
        ParamError,
        match=r"FeedForward\.predict: the model has no "
        r"parameters; call fit\(\) first",
    ):
        bare.predict(x)
    with pytest.raises(
        ParamError,
        match=r"FeedForward\.save: epoch is None and so is "
        r"num_epoch",
    ):
        bare.save(str(tmp_path / "m"))
    with pytest.raises(
        ParamError, match=r"FeedForward\.save: the model has no parameters"
    ):
        bare.save(str(tmp_path / "m"), 1)
    exhausted = mx.io.NDArrayIter(x, y, 10)
    list(exhausted)
    model = mx.model.FeedForward(tiny(), arg_params=as_nd(tiny_params()), aux_params={})
    with pytest.raises(ParamError, match=r"FeedForward\.predict: X gave no batches"):
        model.predict(exhausted, reset=False)
    assert model.predict(exhausted).shape == (20, 10)  # reset=True reads it again
