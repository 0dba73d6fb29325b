"""The suite runs with JAX's strict dtype promotion (the root conftest.py)."""

import jax
import jax.numpy as jnp
import pytest


def test_mixing_float32_and_float64_raises():
    assert jax.config.jax_numpy_dtype_promotion == "strict"
    with pytest.raises(jax.dtypes.TypePromotionError):
        jnp.ones(2, jnp.float32) + jnp.ones(2, jnp.float64)


def test_mixing_int32_and_int64_raises():
    with pytest.raises(jax.dtypes.TypePromotionError):
        _ = jnp.arange(2, dtype=jnp.int32) < jnp.arange(2, dtype=jnp.int64)


def test_x64_is_on_as_mxlite_sets_it():
    # mxlite/_platform.py enables x64 (MXNet has float64 and int64 arrays), so
    # an unannotated jnp.arange is int64: the promotions strict mode catches.
    assert jax.config.jax_enable_x64
    assert jnp.arange(2).dtype == jnp.int64
