"""The OpCase parametrization (strict JAX settings: the root conftest.py)."""

from __future__ import annotations


def pytest_generate_tests(metafunc):
    cls = metafunc.cls
    if cls is not None and "case" in metafunc.fixturenames and hasattr(cls, "cases"):
        metafunc.parametrize("case", cls.cases, ids=[str(c) for c in cls.cases])
