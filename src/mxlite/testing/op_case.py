"""OpCase: one harness that checks an operator from a short declaration.

A test class names the operator, lists cases and gives a NumPy reference::

    class TestFullyConnected(OpCase):
        op = "FullyConnected"
        cases = [case({"num_hidden": 4}, data=(2, 3))]
        def reference(self, data, weight, bias=None, *, num_hidden, no_bias, flatten):
            return data.reshape(len(data), -1) @ weight.T + (0 if bias is None else bias)

From that, the harness checks (each as its own test via ``tests/conftest.py``):
the forward result against the reference; ``infer_shape`` against the real
shapes; gradients against central finite differences in float64 (or against
``grad_reference`` for operators whose gradient is defined by MXNet rather than
by calculus); jit against eager; dtype preservation; and, through the ``nd``
and ``sym`` front ends, the same numbers and a JSON round trip.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jax
import numpy as np

from .. import autograd, ndarray, symbol
from ..context import cpu
from ..ops import get_op

__all__ = ["OpCase", "case"]


@dataclass
class Case:
    """One parameter set with the shapes of the inputs that cannot be inferred."""

    params: dict
    shapes: dict
    dtype: str = "float32"
    is_train: bool = False
    id: str = ""
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        if self.id:
            return self.id
        bits = [f"{k}={v}" for k, v in self.params.items()]
        bits += [f"{k}{list(v)}" for k, v in self.shapes.items()]
        return ",".join(bits).replace(" ", "") or "default"

    @property
    def seed(self) -> int:
        """The seed of this case's random inputs: a CRC-32 of ``str(case)``.

        Unlike ``hash()``, it does not change with ``PYTHONHASHSEED``, so a
        failing case draws the same inputs in the next process.
        """
        return zlib.crc32(str(self).encode("utf-8"))


def case(params: dict | None = None, *, dtype: str = "float32", is_train: bool = False,
         id: str = "", **shapes: tuple) -> Case:
    """Build a :class:`Case`: ``case({"num_hidden": 4}, data=(2, 3))``."""
    return Case(dict(params or {}), shapes, dtype, is_train, id)


class OpCase:
    """Base class of operator tests; see the module docstring."""

    op: str = ""
    cases: Sequence[Case] = ()
    rtol, atol = 1e-5, 1e-6
    grad_rtol, grad_atol = 1e-5, 1e-7
    no_grad: tuple = ()
    #: False for operators without a gradient to check; then say why in
    #: ``check_grad_reason`` (the skip message shows it).
    check_grad = True
    check_grad_reason = ""
    key_seed = 0

    # -- overridable ------------------------------------------------------
    def reference(self, *args: np.ndarray, **params: Any):
        raise NotImplementedError

    def grad_reference(self, cotangents: list, *args: np.ndarray, **params: Any):
        """Expected gradients for operators whose gradient MXNet defines."""
        return

    def make_input(self, name: str, shape: tuple, dtype: str, rng) -> np.ndarray:
        """A random input; override for labels, indices or positive data."""
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)

    # -- helpers ----------------------------------------------------------
    @property
    def opdef(self):
        return get_op(self.op)

    def parsed(self, c: Case):
        return self.opdef.parse(c.params)

    def shapes(self, c: Case) -> tuple[dict, list, dict]:
        """Argument shapes (given or inferred), output shapes, aux shapes."""
        p = self.parsed(c)
        names = list(self.opdef.arguments(p))
        ins, outs, aux = self.opdef.run_infer_shape(p, [c.shapes.get(n) for n in names])
        args = dict(zip(names, ins))
        missing = [n for n, s in args.items() if s is None]
        if missing:
            raise AssertionError(f"{self.op}: shapes of {missing} were not inferred")
        return args, outs, dict(zip(self.opdef.aux(p), aux))

    def inputs(self, c: Case, dtype: str | None = None) -> tuple[list, list]:
        """Random argument and aux arrays for a case (seeded per case)."""
        rng = np.random.default_rng(c.seed)
        args, _, aux = self.shapes(c)
        dt = dtype or c.dtype
        return ([self.make_input(n, s, dt, rng) for n, s in args.items()],
                [self.make_input(n, s, dt, rng) for n, s in aux.items()])

    def run(self, c: Case, args: list, aux: list, jit: bool = False):
        p = self.parsed(c)
        key = jax.random.PRNGKey(self.key_seed)

        def fn(args, aux):
            return self.opdef.apply(p, args, aux, is_train=c.is_train, key=key)

        if jit:
            fn = jax.jit(fn)
        return fn(args, aux)

    def _reference(self, c: Case, args: list, aux: list) -> list:
        p = self.parsed(c)
        ref = self.reference(*args, *aux, **dict(p))
        return list(ref) if isinstance(ref, (tuple, list)) else [ref]

    # -- checks (one pytest test each) ------------------------------------
    def test_forward(self, case: Case) -> None:
        args, aux = self.inputs(case)
        outs, _ = self.run(case, args, aux)
        for i, (got, want) in enumerate(zip(outs, self._reference(case, args, aux))):
            np.testing.assert_allclose(
                np.asarray(got), want, rtol=self.rtol, atol=self.atol,
                err_msg=f"{self.op} output {i} for {case}")

    def test_infer_shape(self, case: Case) -> None:
        args, aux = self.inputs(case)
        outs, new_aux = self.run(case, args, aux)
        _, out_shapes, aux_shapes = self.shapes(case)
        assert [tuple(o.shape) for o in outs] == [tuple(s) for s in out_shapes]
        assert [tuple(a.shape) for a in new_aux] == [tuple(s) for s in aux_shapes.values()]

    def test_dtype(self, case: Case) -> None:
        args, aux = self.inputs(case)
        outs, _ = self.run(case, args, aux)
        p = self.parsed(case)
        _, out_types, _ = self.opdef.run_infer_type(p, [a.dtype.name for a in args])
        assert [np.dtype(o.dtype).name for o in outs] == [np.dtype(t).name for t in out_types]

    def test_jit(self, case: Case) -> None:
        args, aux = self.inputs(case)
        eager, _ = self.run(case, args, aux)
        jitted, _ = self.run(case, args, aux, jit=True)
        for a, b in zip(eager, jitted):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)

    def _skip_gradient(self) -> None:
        """Skip the gradient check, with the class's reason; fail without one."""
        import pytest  # noqa: PLC0415  (the test extra's; mx.test_utils works without)

        name = type(self).__name__
        if not self.check_grad_reason:
            pytest.fail(f"{name} sets check_grad = False for {self.op} without "
                        "check_grad_reason; say why the operator has no gradient check.")
        pytest.skip(f"check_grad is False for {self.op}: {self.check_grad_reason}")

    def test_gradient(self, case: Case) -> None:
        if not self.check_grad:
            self._skip_gradient()
        args, aux = self.inputs(case, dtype="float64")
        p = self.parsed(case)
        names = list(self.opdef.arguments(p))
        diff = [i for i, n in enumerate(names)
                if n not in self.no_grad and np.issubdtype(args[i].dtype, np.floating)]
        rng = np.random.default_rng(1)
        outs, _ = self.run(case, args, aux)
        cots = [rng.standard_normal(np.shape(o)) for o in outs]

        def scalar(*xs):
            full = list(args)
            for i, x in zip(diff, xs):
                full[i] = x
            outs, _ = self.run(case, full, aux)
            # Integer outputs (indices) are constants here: cast, they add no gradient.
            return sum((o.astype(w.dtype) * w).sum() for o, w in zip(outs, cots))

        scalar = jax.jit(scalar)
        grads = jax.grad(scalar, argnums=tuple(range(len(diff))))(*[args[i] for i in diff])
        expected = self.grad_reference(cots, *args, *aux, **dict(p))
        for k, i in enumerate(diff):
            if expected is not None:
                np.testing.assert_allclose(np.asarray(grads[k]), expected[i], rtol=1e-6,
                                           atol=1e-9, err_msg=f"{self.op} d{names[i]}")
                continue
            v = rng.standard_normal(args[i].shape)
            eps = 1e-6
            plus = [args[j] + eps * v if j == i else args[j] for j in diff]
            minus = [args[j] - eps * v if j == i else args[j] for j in diff]
            numeric = (float(scalar(*plus)) - float(scalar(*minus))) / (2 * eps)
            analytic = float((np.asarray(grads[k]) * v).sum())
            assert abs(numeric - analytic) <= self.grad_atol + self.grad_rtol * max(
                abs(numeric), 1.0
            ) * 10, f"{self.op} d{names[i]} for {case}: numeric {numeric} vs {analytic}"

    # -- front ends: the same numbers through mx.nd and mx.sym --------------
    def _comparable(self, c: Case) -> bool:
        """Random operators draw other keys per front end: compare shapes only."""
        return not self.opdef.needs_key

    def _front_end_check(self, c: Case, outs: list, got: list, what: str) -> None:
        assert len(got) == len(outs), f"{self.op} via {what}: {len(got)} outputs"
        for i, (a, b) in enumerate(zip(outs, got)):
            assert tuple(b.shape) == tuple(a.shape), f"{self.op} via {what} output {i}"
            if self._comparable(c):
                np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5,
                                           atol=1e-6, err_msg=f"{self.op} via {what}")

    def test_ndarray(self, case: Case) -> None:
        args, aux = self.inputs(case)
        outs, new_aux = self.run(case, args, aux)
        nd_args = [ndarray.array(a, dtype=a.dtype) for a in args]
        nd_aux = [ndarray.array(a, dtype=a.dtype) for a in aux]
        with autograd.train_mode() if case.is_train else autograd.predict_mode():
            res = getattr(ndarray.op, self.op)(*nd_args, *nd_aux, **case.params)
        res = res if isinstance(res, list) else [res]
        self._front_end_check(case, outs, [r.asnumpy() for r in res], "mx.nd")
        for i, (before, arr) in enumerate(zip(args, nd_args)):
            np.testing.assert_array_equal(arr.asnumpy(), before,
                                          err_msg=f"{self.op} mutated input {i}")
        if self._comparable(case):
            for want, arr in zip(new_aux, nd_aux):
                np.testing.assert_allclose(arr.asnumpy(), np.asarray(want), rtol=1e-5,
                                           atol=1e-6, err_msg=f"{self.op} aux update")

    def _symbol(self, case: Case):
        p = self.parsed(case)
        names = list(self.opdef.arguments(p))
        variables = [symbol.var(n) for n in names]
        with symbol.NameManager():
            return getattr(symbol.op, self.op)(*variables, name="node", **case.params)

    def _bind_and_run(self, sym, case: Case, args: list, aux: list) -> list:
        p = self.parsed(case)
        arrays = {n: ndarray.array(a, dtype=a.dtype)
                  for n, a in zip(self.opdef.arguments(p), args)}
        aux_arrays = {n: ndarray.array(a, dtype=a.dtype)
                      for n, a in zip(sym.list_auxiliary_states(), aux)}
        exe = sym.bind(cpu(), arrays, aux_states=aux_arrays)
        return [o.asnumpy() for o in exe.forward(is_train=case.is_train) or exe.outputs]

    def test_symbol(self, case: Case) -> None:
        args, aux = self.inputs(case)
        outs, _ = self.run(case, args, aux)
        sym = self._symbol(case)
        self._front_end_check(case, outs, self._bind_and_run(sym, case, args, aux), "mx.sym")
        _, out_shapes, _ = sym.infer_shape(
            **{n: a.shape for n, a in zip(sym.list_arguments(), args)})
        assert [tuple(o.shape) for o in outs] == [tuple(s) for s in out_shapes]

    def test_json_roundtrip(self, case: Case) -> None:
        sym = self._symbol(case)
        again = symbol.load_json(sym.tojson())
        assert again.tojson() == sym.tojson()
        args, aux = self.inputs(case)
        first = self._bind_and_run(sym, case, args, aux)
        second = self._bind_and_run(again, case, args, aux)
        self._front_end_check(case, [np.asarray(a) for a in first], second, "JSON")
