"""Operator group: random (each module registers its operators)."""
