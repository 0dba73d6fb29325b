"""The non-finite guard: NaN/Inf stop training with one clear error, before a
checkpoint of non-finite weights is written; bad rates and labels are refused."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mxlite as mx
import mxlite.chainer as chainer
import mxlite.jl as jl
import mxlite.mocha as mocha
from mxlite.base import NonFiniteError, ParamError
from mxlite.chainer import iterators, training
from mxlite.chainer.training import extensions

from ..mocha import _nets

NAN, INF = float("nan"), float("inf")


def _mlp():
    data = mx.sym.Variable("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"),
                          act_type="relu")
    out = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(out, name="softmax")


def _data(bad_row=None, value=NAN, n=40):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 5).astype(np.float32)
    y = rng.randint(0, 3, n).astype(np.float32)
    if bad_row is not None:
        x[bad_row, 2] = value
    return x, y


def _fit(x, y, **kwargs):
    module = mx.mod.Module(_mlp())
    kwargs.setdefault("num_epoch", 2)
    module.fit(mx.io.NDArrayIter(x, y, batch_size=10), **kwargs)
    return module


class _PlainIter:
    """An iterator without ``device_epoch``: the one-call-per-batch path."""

    def __init__(self, inner):
        self.inner = inner
        self.provide_data, self.provide_label = inner.provide_data, inner.provide_label

    def __iter__(self):
        return iter(self.inner)

    def reset(self):
        self.inner.reset()


def _nonfinite(params):
    return sum(int((~np.isfinite(v.asnumpy())).sum()) for v in params.values())


# -- Module.fit ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [NAN, INF])
def test_fit_names_epoch_batch_and_parameter(value):
    x, y = _data(bad_row=25, value=value)  # row 25 is in batch 2
    with pytest.raises(NonFiniteError) as err:
        _fit(x, y)
    e = err.value
    assert (e.epoch, e.batch, e.param) == (0, 2, "fc1_weight")
    assert "epoch 0, batch 2" in str(e) and "'fc1_weight'" in str(e)
    assert "nan_check=False" in str(e)
    assert isinstance(e, FloatingPointError)


def test_fit_with_a_frequent_callback_stops_at_that_sync():
    x, y = _data(bad_row=25)
    seen = []

    def callback(param):
        seen.append(param.nbatch)
    callback.frequent = 1
    with pytest.raises(NonFiniteError, match="epoch 0, batch 2"):
        _fit(x, y, batch_end_callback=callback)
    assert seen == [0, 1]  # the callback never saw the bad batch


def test_fit_on_the_per_batch_path_stops_too():
    x, y = _data(bad_row=35)
    module = mx.mod.Module(_mlp())
    with pytest.raises(NonFiniteError, match="epoch 0, batch 3") as err:
        module.fit(_PlainIter(mx.io.NDArrayIter(x, y, batch_size=10)), num_epoch=1)
    assert err.value.param == "fc1_weight"


def test_last_good_checkpoint_stays_and_no_bad_one_is_written(tmp_path):
    prefix = str(tmp_path / "m")
    x, y = _data()
    module = _fit(x, y, num_epoch=1, epoch_end_callback=mx.callback.do_checkpoint(prefix))
    x[25, 2] = NAN
    arg, aux = module.get_params()
    with pytest.raises(NonFiniteError, match="epoch 1, batch 2"):
        _fit(x, y, begin_epoch=1, num_epoch=3, arg_params=arg, aux_params=aux,
             epoch_end_callback=mx.callback.do_checkpoint(prefix))
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["m-0001.manifest.json", "m-0001.params", "m-symbol.json"]
    assert mx.model.latest_checkpoint(prefix) == 1
    _, saved, _ = mx.model.load_checkpoint(prefix, 1)
    assert _nonfinite(saved) == 0


def test_a_huge_learning_rate_stops_fit():
    x, y = _data()
    with pytest.raises(NonFiniteError, match=r"epoch \d+, batch \d+"):
        _fit(x * 1e3, y, num_epoch=5, optimizer_params={"learning_rate": 1e6,
                                                        "momentum": 0.9})


def test_nan_check_false_trains_on():
    x, y = _data(bad_row=25)
    module = _fit(x, y, nan_check=False)
    assert _nonfinite(module.get_params()[0]) > 0
    # and the same module can be trained again with the guard on
    with pytest.raises(NonFiniteError):
        module.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=1, force_init=False)


def test_a_guard_trip_does_not_poison_the_next_fit():
    x, y = _data(bad_row=25)
    module = mx.mod.Module(_mlp())
    with pytest.raises(NonFiniteError):
        module.fit(mx.io.NDArrayIter(x, y, batch_size=10), num_epoch=1)
    good, _ = _data()
    module.fit(mx.io.NDArrayIter(good, y, batch_size=10), num_epoch=1, force_init=True)
    assert _nonfinite(module.get_params()[0]) == 0


# -- labels -------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [NAN, 1.5])
def test_nan_or_fractional_class_labels_are_refused(bad):
    x, y = _data()
    y[13] = bad
    with pytest.raises(ParamError, match=r"'softmax_label' include NaN or numbers that "
                                         r"are not whole.*SoftmaxOutput 'softmax'"):
        _fit(x, y, num_epoch=1)


# -- learning rates -----------------------------------------------------------------------

@pytest.mark.parametrize("lr", [NAN, INF, -INF, -0.1])
def test_bad_learning_rates_are_refused_when_set(lr):
    with pytest.raises(ParamError, match=rf"SGD: learning_rate must be a finite number "
                                         rf">= 0; got {lr}"):
        mx.optimizer.create("sgd", learning_rate=lr)
    opt = mx.optimizer.Adam(learning_rate=0.1)
    with pytest.raises(ParamError, match=rf"Adam: learning_rate .* got {lr}"):
        opt.set_learning_rate(lr)
    assert opt.lr == 0.1
    with pytest.raises(ParamError, match=rf"FactorScheduler: base_lr .* got {lr}"):
        mx.lr_scheduler.FactorScheduler(step=2, base_lr=lr)
    sched = mx.lr_scheduler.FactorScheduler(step=2, base_lr=0.1)
    with pytest.raises(ParamError, match="base_lr"):
        sched.base_lr = lr


def test_fit_refuses_a_bad_rate_before_training():
    x, y = _data()
    with pytest.raises(ParamError, match=r"SGD: learning_rate .* got inf"):
        _fit(x, y, optimizer_params={"learning_rate": INF})


@pytest.mark.parametrize("make", [
    lambda lr: chainer.optimizers.SGD(lr=lr),
    lambda lr: chainer.optimizers.Adam(alpha=lr),
    lambda lr: mocha.LRPolicy.Fixed(lr),
])
@pytest.mark.parametrize("lr", [NAN, INF, -1.0])
def test_dialect_optimizers_refuse_bad_rates(make, lr):
    with pytest.raises(ParamError, match=rf"got {lr}"):
        make(lr)


def test_setting_a_dialect_rate_later_is_checked():
    opt = chainer.optimizers.MomentumSGD(lr=0.1)
    with pytest.raises(ParamError, match="got nan"):
        opt.lr = NAN
    assert math.isclose(opt.lr, 0.1)


# -- the Chainer and Mocha front-ends -----------------------------------------------------

class _Net(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.l1 = chainer.links.Linear(5, 8)
            self.l2 = chainer.links.Linear(8, 3)

    def __call__(self, x):
        return self.l2(chainer.functions.relu(self.l1(x)))


def _chainer_trainer(tmp_path, x, y, epochs=2):
    model = chainer.links.Classifier(_Net())
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(model)
    data = chainer.datasets.TupleDataset(x, y.astype(np.int32))
    it = iterators.SerialIterator(data, 10, shuffle=False)
    trainer = training.Trainer(training.StandardUpdater(it, optimizer),
                               (epochs, "epoch"), out=str(tmp_path))
    trainer.extend(extensions.snapshot(filename="snap-{.updater.epoch}"),
                   trigger=(1, "epoch"))
    return trainer


def test_chainer_trainer_stops_before_a_snapshot(tmp_path):
    x, y = _data()
    x[25, 2] = NAN  # batch 2 of every epoch: update 3
    with pytest.raises(NonFiniteError, match="update 3: the gradient of parameter "
                                             "'/predictor/l1/W'") as err:
        _chainer_trainer(tmp_path, x, y).run(show_loop_exception_msg=False)
    assert err.value.param == "/predictor/l1/W"
    assert not any(p.name.startswith("snap") for p in tmp_path.iterdir())


def test_chainer_update_loop_stops_at_the_epoch_end():
    x, y = _data(bad_row=5)
    model = chainer.links.Classifier(_Net())
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    for i in range(4):
        optimizer.update(model, x[10 * i:10 * i + 10], y[10 * i:10 * i + 10].astype(np.int32))
    with pytest.raises(NonFiniteError, match="update 1:"):
        optimizer.new_epoch()


def test_mocha_solve_stops_before_a_snapshot(tmp_path):
    x, y = _nets.data()
    x[3 * _nets.BATCH + 1, 0] = INF  # iteration 4
    net = _nets.memory_net(x=x, y=y)
    solver = mocha.Solver(mocha.SGD(), mocha.make_solver_parameters(
        mocha.SGD(), max_iter=30, lr_policy=mocha.LRPolicy.Fixed(0.01)))
    mocha.add_coffee_break(solver, mocha.Snapshot(str(tmp_path / "snaps")), every_n_iter=10)
    with pytest.raises(NonFiniteError, match=r"solve: .* iteration 4: .*'ip1_weight'"):
        mocha.solve(solver, net)
    names = sorted(p.name for p in (tmp_path / "snaps").iterdir())
    assert names == ["snapshot-000000.jld"]  # written before any update


def test_mxnet_jl_fit_stops_before_its_epoch_callbacks():
    x, y = _data(bad_row=25)
    ended = []
    model = jl.FeedForward(jl.chain(jl.Variable("data"),
                                    jl.FullyConnected(name="fc1", num_hidden=8),
                                    jl.SoftmaxOutput(name="softmax")), context=jl.cpu())
    with pytest.raises(NonFiniteError, match="epoch 1, batch 2") as err:
        jl.fit(model, jl.SGD(lr=0.1), mx.io.NDArrayIter(x, y, batch_size=10), n_epoch=2,
               callbacks=[jl.every_n_epoch(lambda _, epoch, __: ended.append(epoch), 1)])
    assert err.value.param == "fc1_weight"
    assert ended == []  # where a checkpoint would be saved


def test_a_bad_weight_the_outputs_have_not_shown_yet_is_found_at_the_epoch_end():
    x, y = _data()
    module = _fit(x, y, num_epoch=1)
    trainer, state = module._trainer, module._train_state
    assert trainer.params_finite(state) is None
    params = dict(state.params)
    params["fc2_bias"] = params["fc2_bias"].at[1].set(INF)
    assert trainer.params_finite(state._replace(params=params)) == "fc2_bias"
