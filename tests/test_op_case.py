"""The OpCase harness itself: reproducible inputs and explicit gradient skips."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from mxlite.testing import OpCase, case

_PRINT_INPUTS = """
from mxlite.testing import OpCase, case

class FC(OpCase):
    op = "FullyConnected"

args, _ = FC().inputs(case({"num_hidden": 3}, data=(2, 4)))
print(repr([a.tolist() for a in args]))
"""


def _inputs_under(hash_seed: str) -> str:
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    done = subprocess.run([sys.executable, "-c", _PRINT_INPUTS], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_inputs_are_the_same_under_any_pythonhashseed():
    # hash(str) differs between these two processes; the case's inputs must not.
    first, second = _inputs_under("1"), _inputs_under("2")
    assert first.startswith("[[["), first
    assert first == second


def test_case_seed_is_a_crc32_of_the_case_string():
    c = case({"num_hidden": 4}, data=(2, 3))
    assert str(c) == "num_hidden=4,data[2,3]"
    assert c.seed == 0x7FA6D810  # zlib.crc32(b"num_hidden=4,data[2,3]")
    assert c.seed != case({"num_hidden": 5}, data=(2, 3)).seed


class _NoGradient(OpCase):
    op = "argmax"
    check_grad = False
    check_grad_reason = "the outputs are indices"


class _NoGradientNoReason(OpCase):
    op = "argmax"
    check_grad = False


def test_no_gradient_check_is_a_skip_with_the_reason():
    with pytest.raises(pytest.skip.Exception,
                       match=r"check_grad is False for argmax: the outputs are indices"):
        _NoGradient().test_gradient(case(data=(2, 3)))


def test_no_gradient_check_without_a_reason_fails():
    with pytest.raises(pytest.fail.Exception,
                       match=r"_NoGradientNoReason sets check_grad = False for argmax "
                             r"without check_grad_reason"):
        _NoGradientNoReason().test_gradient(case(data=(2, 3)))
