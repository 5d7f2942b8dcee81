"""The guard: an OpenAI-compatible server that deploys a reasoning model responsibly.

It applies R1's usage recommendations and the seed paper's deployment advice as policies read
from one YAML file: prompt rules, explicit output format and language, screening of the input
(normalized, whole conversation) and of the reasoning and answer separately, human review and
an append-only audit log. ``server.py`` holds the routes only; the request flow is in
``service.py``.
"""

from r1safe.guard.policy import GuardPolicy, load_policy

__all__ = ["GuardPolicy", "load_policy"]
