"""Learned text safety classifiers: a pluggable encoder and linear heads, trained on labelled text.

``encoders`` turns text into features (hashed n-grams offline; packaged sentence encoders);
``model`` is the request/response classifier the guard screens with; ``training`` fits it from
the gym or labelled JSONL; ``judge`` exposes it to evaluation as the ``guard_classifier`` judge.
They live below the guard (which screens with them) and beside the other judges.
"""
