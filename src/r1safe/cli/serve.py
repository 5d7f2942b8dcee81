"""``r1safe serve``: the guard, an OpenAI-compatible server in front of a reasoning model.

``r1safe guard``, ``r1safe review`` and ``r1safe audit`` live in their own files.
"""

from __future__ import annotations

import ipaddress
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_AUDIT = Path("runs/guard/audit.sqlite")
AuditOpt = Annotated[Path, typer.Option("--audit", help="The audit log (SQLite, WAL mode).")]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_command(
    model: Annotated[str, typer.Option(help="'gym' (the gym base model) or a local transformers model dir.")] = "gym",
    upstream: Annotated[str | None, typer.Option(help="An OpenAI-compatible server URL (…/v1) instead.")] = None,
    upstream_model: Annotated[str | None, typer.Option(help="Model name to ask the upstream for.")] = None,
    upstream_key_env: Annotated[str, typer.Option(
        help="Environment variable holding the upstream's API key (sent as a Bearer token).")] = "R1SAFE_UPSTREAM_KEY",
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you mean it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    policy: Annotated[str | None, typer.Option(help="Policy YAML, or a shipped one: default, domain_expert.")] = None,
    audit: AuditOpt = DEFAULT_AUDIT,
    api_keys_file: Annotated[
        Path | None, typer.Option(help="API keys, one per line (name:key). Default: $R1SAFE_API_KEYS.")
    ] = None,
    insecure_no_auth: Annotated[bool, typer.Option("--insecure-no-auth", help="Serve without API keys.")] = False,
) -> None:
    """Serve POST /v1/chat/completions, GET /v1/models and GET /health behind the guard's policy."""
    import uvicorn

    from r1safe.errors import ConfigError
    from r1safe.guard.factory import build_guard
    from r1safe.guard.policy import load_policy
    from r1safe.guard.security import load_keys
    from r1safe.guard.server import create_app

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    keys = None
    if not insecure_no_auth:
        keys = load_keys(api_keys_file)
        if not keys:
            raise ConfigError(
                "no API keys: pass --api-keys-file FILE or set R1SAFE_API_KEYS "
                "(or, on a private machine only, --insecure-no-auth)"
            )
    if not _is_loopback(host):
        print(f"warning: binding {host}, not loopback: the guard is reachable from the network", file=sys.stderr)
    rules = load_policy(policy)
    guard = build_guard(rules, audit, keys, model=model, upstream_url=upstream, upstream_model=upstream_model,
                        upstream_key_env=upstream_key_env)
    limits = rules.limits
    print(
        f"r1safe guard: {guard.served_model} on http://{host}:{port}/v1  policy {rules.version}@"
        f"{guard.policy_hash}  max_tokens {limits.default_max_tokens} (at most {limits.max_tokens})  audit {audit}",
        file=sys.stderr,
    )
    uvicorn.run(create_app(guard), host=host, port=port, log_level="warning")
