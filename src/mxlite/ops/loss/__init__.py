"""Operator group: loss (each module registers its operators)."""
