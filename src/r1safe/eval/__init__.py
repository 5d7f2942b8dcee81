"""Evaluation: dataset of samples → backend (generation) → judges → metrics → report."""
