"""Operator group: nn (each module registers its operators)."""
