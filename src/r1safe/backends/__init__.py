"""Generation backends behind one interface; each is imported only when asked for.

``BACKENDS.create("transformers", model=...)`` (or ``openai``, ``vllm``) imports the backend's
module on first use, so torch or vllm load only when that backend is chosen. A new backend is
one file in this folder that registers itself in :data:`BACKENDS`.
"""

from r1safe.backends.base import BACKENDS, Backend, Completion, GenerationParams, iter_generate

__all__ = ["BACKENDS", "Backend", "Completion", "GenerationParams", "iter_generate"]
