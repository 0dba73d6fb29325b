"""Operator group: tensor (each module registers its operators)."""
