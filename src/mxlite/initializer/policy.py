"""MXNet 1.9.1's choice of initialization by parameter name: one function.

:func:`choose` maps a parameter's name (and its symbol attributes) to a role;
an :class:`~mxlite.initializer.Initializer` fills the array with its
``_init_<role>`` method. The rules in :mod:`.rules` know nothing of names;
this is the only place that does.

========================================  ====================  ==========
name                                      role                  filled with
========================================  ====================  ==========
has an ``__init__`` attribute             ``weight`` of that    its rule
                                          initializer
ends with ``weight``                      ``weight``            the rule
ends with ``bias`` / ``beta``             ``bias`` / ``beta``   0
ends with ``gamma``                       ``gamma``             1
``moving_mean``, ``running_mean``,        ``zero``              0
``moving_inv_var``, ``moving_avg``
``moving_var``, ``running_var``           ``one``               1
``min`` / ``max``                         ``zero`` / ``one``    0 / 1
``weight_quantize`` / ``bias_quantize``   ``quantized_weight``  int8 / 0
                                          / ``quantized_bias``
anything else                             ``default``           an error
========================================  ====================  ==========

The legacy path (a plain string instead of an ``InitDesc``) first checks two
prefixes: ``upsampling*`` -> ``bilinear``; ``stn_loc*weight`` -> ``zero``
and ``stn_loc*bias`` -> ``loc_bias``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

__all__ = ["SUFFIX_ROLES", "Choice", "choose"]

SUFFIX_ROLES: tuple[tuple[str, str], ...] = (
    ("weight", "weight"), ("bias", "bias"), ("gamma", "gamma"), ("beta", "beta"),
    ("moving_mean", "zero"), ("running_mean", "zero"),
    ("moving_var", "one"), ("running_var", "one"),
    ("moving_inv_var", "zero"), ("moving_avg", "zero"),
    ("min", "zero"), ("max", "one"),
    ("weight_quantize", "quantized_weight"), ("bias_quantize", "quantized_bias"),
)
"""(suffix, role) in MXNet's order: the first suffix the name ends with wins."""


class Choice(NamedTuple):
    """What :func:`choose` decided for one parameter.

    Attributes:
        role: the Initializer method to call, ``_init_<role>``.
        pattern: what matched (the suffix, the legacy prefix, the
            ``__init__`` JSON or ``'default'``), for the verbose log.
        init: the ``__init__`` attribute's initializer JSON, or ``''``: when
            set, that initializer's ``_init_weight`` fills the array.
    """

    role: str
    pattern: str
    init: str = ""


def choose(name: str, attrs: Mapping[str, str] | None = None, *,
           legacy: bool = False) -> Choice:
    """Choose how MXNet initializes the parameter ``name``.

    Args:
        name: the parameter's name, e.g. ``'fc1_weight'``.
        attrs: its symbol attributes; a non-empty ``'__init__'`` wins over
            the name.
        legacy: MXNet's string-name path (``init('fc1_weight', arr)``), which
            knows the ``upsampling`` and ``stn_loc`` prefixes and no attributes.

    Returns:
        The :class:`Choice`.

    Example:
        >>> from mxlite.initializer.policy import choose
        >>> choose('fc1_weight')
        Choice(role='weight', pattern='weight', init='')
        >>> choose('bn_moving_var').role, choose('data').role
        ('one', 'default')
        >>> choose('w', {'__init__': '["one", {}]'}).init
        '["one", {}]'
    """
    name = str(name)
    if legacy:
        if name.startswith("upsampling"):
            return Choice("bilinear", "upsampling")
        if name.startswith("stn_loc") and name.endswith("weight"):
            return Choice("zero", "stn_loc weight")
        if name.startswith("stn_loc") and name.endswith("bias"):
            return Choice("loc_bias", "stn_loc bias")
    elif attrs and attrs.get("__init__"):
        return Choice("weight", attrs["__init__"], attrs["__init__"])
    for suffix, role in SUFFIX_ROLES:
        if name.endswith(suffix):
            return Choice(role, suffix)
    return Choice("default", "default")
