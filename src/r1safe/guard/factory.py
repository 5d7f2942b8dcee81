"""Assemble a guard from command-line choices: upstream, policy, audit log, keys.

``--model gym`` (the default) serves the gym base model in-process through the ``transformers``
evaluation backend; ``--model PATH`` any local transformers model; ``--upstream URL`` any
OpenAI-compatible server instead, with its API key read from ``$R1SAFE_UPSTREAM_KEY`` (or the
variable ``upstream_key_env`` names), never from the command line.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from r1safe.guard.audit import AuditLog
from r1safe.guard.policy import GuardPolicy, for_model
from r1safe.guard.security import ApiKey
from r1safe.guard.service import Guard
from r1safe.guard.upstream import BackendUpstream, HTTPUpstream, Upstream

log = logging.getLogger("r1safe.guard")


UPSTREAM_KEY_ENV = "R1SAFE_UPSTREAM_KEY"


def build_upstream(
    model: str = "gym",
    upstream_url: str | None = None,
    upstream_model: str | None = None,
    timeout_s: float = 60.0,
    batch_size: int = 8,
    upstream_key_env: str = UPSTREAM_KEY_ENV,
) -> tuple[Upstream, str]:
    """(upstream, the model name the guard advertises)."""
    if upstream_url:
        api_key = os.environ.get(upstream_key_env)
        upstream = HTTPUpstream(upstream_url, upstream_model, api_key, timeout_s, key_hint=upstream_key_env)
        return upstream, upstream_model or "upstream"
    from r1safe.backends import BACKENDS
    from r1safe.runtime import configure_threads

    configure_threads(None)  # one torch thread unless $R1SAFE_NUM_THREADS says otherwise, as every command
    if model == "gym":
        from r1safe.gym.build import default_gym

        model = str(default_gym().model_dir)
        served = "gym"
    else:
        served = Path(model).name
    backend = BACKENDS.create("transformers", model=model, batch_size=batch_size)
    return BackendUpstream(backend, served, timeout_s), served


def build_guard(
    policy: GuardPolicy,
    audit_path: str | Path,
    keys: list[ApiKey] | None,
    model: str = "gym",
    upstream_url: str | None = None,
    upstream_model: str | None = None,
    upstream_key_env: str = UPSTREAM_KEY_ENV,
) -> Guard:
    """A ready guard; the classifier is built (or loaded from the cache) here, not on first request.
    The policy's unset choices are made for the served model (:func:`~r1safe.guard.policy.for_model`):
    the gym model gets the gym classifier, any other model (a local one or an upstream) the real-text one."""
    upstream, served = build_upstream(
        model, upstream_url, upstream_model, policy.limits.upstream_timeout_s, upstream_key_env=upstream_key_env
    )
    policy = for_model(policy, gym_model=model == "gym" and not upstream_url)
    if keys is None:
        log.warning("authentication is OFF (--insecure-no-auth): anyone who can reach this port can use it")
    return Guard(policy, upstream, AuditLog(audit_path), keys, served_model=served)
