"""Evaluation: dataset of samples → backend (generation) → judges → metrics → report.

The API is :func:`r1safe.eval.pipeline.run` with an :class:`r1safe.eval.config.EvalConfig`::

    from r1safe.eval.config import EvalConfig
    from r1safe.eval.pipeline import run
    results = run(EvalConfig(model="gym", splits=["id", "capability"], limit=16))
    results["metrics"]["harmful_compliance"]["all"]  # {"value", "ci", "n", "prompts", ...}

This package imports nothing heavy; torch loads only when a model is.
"""
