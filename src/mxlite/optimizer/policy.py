"""Per-parameter multipliers: which weight learns how fast and decays how much.

One policy object answers, for a parameter name (or MXNet index), its
learning-rate and weight-decay multipliers. The update rules never look at
names; the dialects differ only in the policy they pick:

- :class:`NamePolicy`, MXNet Python's: names in ``param_idx2name`` that do
  not end in ``_weight`` or ``_gamma`` get no weight decay; the symbol's
  ``__lr_mult__``/``__wd_mult__`` attributes come next, then ``set_lr_mult``
  and ``set_wd_mult``; a Gluon-style ``param_dict`` overrides everything.
- :class:`AllDecayPolicy`, MXNet.jl's: every parameter decays unless a
  multiplier is set explicitly.
"""

from __future__ import annotations

from typing import Any

__all__ = ["AllDecayPolicy", "NamePolicy"]

_DECAYED_SUFFIXES = ("_weight", "_gamma")


class NamePolicy:
    """MXNet Python's multipliers by name suffix, symbol attribute and override.

    Args:
        idx2name: index -> parameter name (``param_idx2name``).
        sym: a Symbol whose variables' ``__lr_mult__``/``__wd_mult__`` apply.
        param_dict: index -> object with ``lr_mult``/``wd_mult`` attributes.

    Example:
        >>> p = NamePolicy({0: 'fc_weight', 1: 'fc_bias'})
        >>> p.wd_mult_of('fc_weight'), p.wd_mult_of('fc_bias'), p.lr_mult_of(1)
        (1.0, 0.0, 1.0)
    """

    def __init__(self, idx2name: dict | None = None, sym: Any = None,
                 param_dict: dict | None = None) -> None:
        self.idx2name = dict(idx2name or {})
        self.sym_info = (() if sym is None
                         else (sym.attr_dict(), sym.list_arguments()))
        self.param_dict = dict(param_dict or {})
        self.lr_mult: dict = {}
        self.wd_mult: dict = {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    def set_lr_mult(self, args_lr_mult: dict) -> None:
        """Symbol ``__lr_mult__`` attributes first, then these (by name or index)."""
        self.lr_mult = self._sym_mults("__lr_mult__")
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        """Non-weights get 0; symbol ``__wd_mult__`` next; then these."""
        self.wd_mult = self._default_wd_mult()
        self.wd_mult.update(self._sym_mults("__wd_mult__"))
        self.wd_mult.update(args_wd_mult)

    def _default_wd_mult(self) -> dict:
        return {name: 0.0 for name in self.idx2name.values()
                if not name.endswith(_DECAYED_SUFFIXES)}

    def _sym_mults(self, attr_key: str) -> dict:
        if not self.sym_info:
            return {}
        attr, arg_names = self.sym_info
        return {name: float(attr[name][attr_key]) for name in arg_names
                if name in attr and attr_key in attr[name]}

    def _mult(self, index: Any, table: dict, attr: str) -> float:
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def lr_mult_of(self, index: Any) -> float:
        """The learning-rate multiplier of a parameter name or index."""
        return self._mult(index, self.lr_mult, "lr_mult")

    def wd_mult_of(self, index: Any) -> float:
        """The weight-decay multiplier of a parameter name or index."""
        return self._mult(index, self.wd_mult, "wd_mult")


class AllDecayPolicy(NamePolicy):
    """MXNet.jl's: weight decay applies to every parameter, biases included."""

    def _default_wd_mult(self) -> dict:
        return {}
