"""Learned text classifiers: one home for their encoders, data readers, training entry points and
shipped heads (with model cards), below the judges and the guard that read with them.

- ``encoders``: text → features (hashed n-grams offline; MiniLM-L6 and multilingual e5 from wheels).
- ``data/``: one reader per public labelled set (``refusal``, ``harm``, ``framings``,
  ``refusal_extra``, ``background``) and ``shared`` (the data folder setting ``R1SAFE_DATA_DIR``,
  CSV/JSONL reading, the split bucket every family cuts on).
- ``harm/``: the guard's request/response classifier (model, trainer, the gym one, ``realtext``).
- ``refusal/``: the refusal classifiers (frozen-encoder head, fine-tuned MiniLM) and their trainers.
- ``heads/``: what ships: ``realtext``, ``refusal_clf`` (default), ``refusal_clf_e5``, each with a
  ``MODEL_CARD.md``.

Judges (``eval/judges/refusal_clf.py``, ``guard_classifier.py``) only load and read; training runs
as ``python -m r1safe.classifiers.<family>.<trainer>``.
"""
