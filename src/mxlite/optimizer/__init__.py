"""``mx.optimizer``: MXNet 1.9.1's optimizers on one pure JAX core.

Each optimizer is one module defining its per-tensor rule; ``Optimizer``
(``optimizer.py``) turns it into both the pure ``init_state``/``apply`` pair
used by compiled training steps and MXNet's imperative ``create_state`` /
``update`` / ``get_updater`` API. ``mx.optimizer.create('sgd', ...)`` looks
names up in the registry (with a "did you mean" on a miss). MXNet.jl's
spellings are ``JuliaSGD``/``JuliaADAM``: their update rules differ from MXNet
Python's, so they live here with the other rules, and the MXNet.jl dialect
exports them as ``mxlite.jl.SGD`` and ``mxlite.jl.ADAM``. Chainer's rules are
``ChainerSGD``, ``ChainerAdam``... (``chainer.py``) and its optimizer hooks
``WeightDecay``, ``Lasso``, ``GradientClipping``, ``GradientHardClipping``
(``chainer_hooks.py``), wrapped by the Chainer dialect. Mocha.jl's solvers
are ``MochaSGD``, ``MochaAdam``... (``mocha.py``), with its learning-rate
and momentum policies in ``mocha_policy.py`` (``LRPolicy``, ``MomPolicy``),
wrapped by the Mocha dialect.
"""

from __future__ import annotations

from .adadelta import AdaDelta
from .adagrad import AdaGrad
from .adam import Adam
from .adamw import AdamW
from .chainer import (
    ChainerAdaDelta,
    ChainerAdaGrad,
    ChainerAdam,
    ChainerMomentumSGD,
    ChainerRMSprop,
    ChainerSGD,
)
from .chainer_hooks import (
    GradientClipping,
    GradientHardClipping,
    GradientHook,
    Lasso,
    WeightDecay,
)
from .ftml import FTML
from .julia import JuliaADAM, JuliaSGD
from .mocha import (
    MochaAdadelta,
    MochaAdagrad,
    MochaAdam,
    MochaNesterov,
    MochaRMSProp,
    MochaSGD,
)
from .nag import NAG
from .optimizer import Optimizer, create, register
from .rmsprop import RMSProp
from .sgd import SGD, ccSGD
from .signum import Signum
from .updater import Updater, dumps_state, get_updater, loads_state

__all__ = [
    "FTML",
    "NAG",
    "SGD",
    "AdaDelta",
    "AdaGrad",
    "Adam",
    "AdamW",
    "ChainerAdaDelta",
    "ChainerAdaGrad",
    "ChainerAdam",
    "ChainerMomentumSGD",
    "ChainerRMSprop",
    "ChainerSGD",
    "GradientClipping",
    "GradientHardClipping",
    "GradientHook",
    "JuliaADAM",
    "JuliaSGD",
    "Lasso",
    "MochaAdadelta",
    "MochaAdagrad",
    "MochaAdam",
    "MochaNesterov",
    "MochaRMSProp",
    "MochaSGD",
    "Optimizer",
    "RMSProp",
    "Signum",
    "Updater",
    "WeightDecay",
    "ccSGD",
    "create",
    "dumps_state",
    "get_updater",
    "loads_state",
    "register",
]
