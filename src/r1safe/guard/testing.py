"""Test helpers shipped with the package (as inspect-ai ships ``mockllm``): a scripted
OpenAI-compatible upstream and a loopback server runner.

The scripted upstream answers each chat with the text a function chooses, as a reasoning server
does (``reasoning_content`` apart from ``content``), stream or not, optionally slowly; it counts
one token per word, honours ``max_tokens`` (a longer reply is cut there, ``finish_reason:
"length"``) and reports usage.
:func:`gym_replies` makes that function reply like the gym's unaligned base model (comply with
everything) for every gym prompt, so benchmarks can load the guard without a model in the way.
Loopback only: nothing here listens beyond 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from r1safe.text.think_format import parse_reply

Reply = Callable[[list[dict[str, str]]], str]
GENERIC = "<think>\nThe user asks an everyday question. It is safe, so I will help.\n</think>\n\nSure, here it is."


_WORD = re.compile(r"\s*\S+")


def words(text: str) -> int:
    """The scripted upstream's token count: one per word."""
    return len(_WORD.findall(text))


def cut(text: str, max_tokens: int | None) -> tuple[str, int, str]:
    """(canonical ``text`` cut to ``max_tokens`` words after its opener, tokens, finish reason)."""
    body = text.removeprefix("<think>\n")
    pieces = _WORD.findall(body)
    if max_tokens is None or len(pieces) <= max_tokens:
        return text, len(pieces), "stop"
    return "<think>\n" + "".join(pieces[:max_tokens]), max_tokens, "length"


def scripted_upstream(reply: Reply, delay_s: float = 0.0, piece_chars: int = 8) -> FastAPI:
    """An OpenAI-compatible app whose every answer is ``reply(messages)`` (canonical R1 text)."""
    app = FastAPI()
    app.state.calls = 0
    app.state.bodies = []

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "scripted", "object": "model"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Any:
        body = await request.json()
        app.state.calls += 1
        app.state.bodies.append(body)
        if delay_s:
            await asyncio.sleep(delay_s)
        text, tokens, finish = cut(reply(body["messages"]), body.get("max_tokens"))
        parsed = parse_reply(text, think_forced=True)
        prompt_tokens = sum(words(str(m.get("content") or "")) for m in body["messages"])
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": tokens, "total_tokens": prompt_tokens + tokens}
        rid = f"up-{app.state.calls}"
        if body.get("tools"):  # call the first tool with the answer as its argument
            name = body["tools"][0]["function"]["name"]
            call = {
                "id": f"call-{app.state.calls}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps({"text": parsed.answer})},
            }
            message = {
                "role": "assistant",
                "content": None,
                "reasoning_content": parsed.reasoning,
                "tool_calls": [call],
            }
            return JSONResponse(
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "scripted",
                    "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                }
            )
        if not body.get("stream"):
            message = {"role": "assistant", "content": parsed.answer, "reasoning_content": parsed.reasoning}
            return JSONResponse(
                {
                    "id": rid,
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": "scripted",
                    "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                    "usage": usage,
                }
            )

        async def events() -> Any:
            for field, text in (("reasoning_content", parsed.reasoning), ("content", parsed.answer)):
                for i in range(0, len(text), piece_chars):
                    delta = {field: text[i : i + piece_chars]}
                    yield f"data: {json.dumps({'id': rid, 'choices': [{'index': 0, 'delta': delta}]})}\n\n"
            done = {"id": rid, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
            yield f"data: {json.dumps(done)}\n\n"
            if (body.get("stream_options") or {}).get("include_usage"):
                yield f"data: {json.dumps({'id': rid, 'choices': [], 'usage': usage})}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


def gym_replies(behaviour: str = "comply") -> Reply:
    """Reply as the gym model with ``behaviour`` would (``comply``: the unaligned base model)."""
    from r1safe.gym.render import render_completion
    from r1safe.gym.world import TEST_SPLITS, build_world

    world = build_world()
    known = {}
    for sample in [s for name in TEST_SPLITS for s in world.split(name)] + world.training_pool(everything=True):
        known["\n".join(m["content"] for m in sample.prompt if m["role"] == "user")] = sample

    def reply(messages: list[dict[str, str]]) -> str:
        users = [m["content"] for m in messages if m["role"] == "user"]
        for last in (users[-1], users[-1].rsplit("\n\n", 1)[0]) if users else ():
            sample = known.get("\n".join([*users[:-1], last]))
            if sample is not None:
                if sample.kind == "harmful":
                    return render_completion(sample, "comply" if behaviour == "comply" else "refuse")
                return render_completion(sample, "help")
        return GENERIC

    return reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, port: int | None = None, timeout_s: float = 20.0) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 in a daemon thread; yields its base URL."""
    port = port or free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def machine() -> str:
    """One line naming the machine a benchmark ran on."""
    import os
    import platform

    from r1safe.eval.outputs import cpu_model

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}, load avg {load:.2f}"
    )


UPSTREAM_CODE = (
    "import sys, uvicorn; from r1safe.guard.testing import scripted_upstream, gym_replies; "
    "uvicorn.run(scripted_upstream(gym_replies(sys.argv[2])), host='127.0.0.1', port=int(sys.argv[1]), "
    "log_level='warning')"
)


@contextmanager
def spawn(args: list[str], ready_url: str, timeout_s: float = 120.0) -> Iterator[Any]:
    """Run ``python args...`` as a subprocess until ``ready_url`` answers; killed on exit."""
    import os
    import subprocess
    import sys
    import tempfile

    import httpx

    log = tempfile.TemporaryFile()  # noqa: SIM115 - a file, not a pipe: a full pipe would block the server
    proc = subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(ready_url, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{args[:3]} exited: {log.read().decode()[-1500:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} not ready after {timeout_s:g}s")
            time.sleep(0.2)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def spawn_upstream(port: int, behaviour: str = "comply") -> Any:
    """The scripted gym upstream in its own process on 127.0.0.1:``port``."""
    return spawn(["-c", UPSTREAM_CODE, str(port), behaviour], f"http://127.0.0.1:{port}/v1/models")


def spawn_guard(
    cli_module: str, port: int, upstream_url: str | None, audit: str, policy: str | None = None,
    extra: list[str] | None = None,
) -> Any:
    """``python -m <cli_module> serve`` (the caller names the CLI, which sits above the guard) in its
    own process, without auth, in front of ``upstream_url`` (or, with None, of the model that
    ``extra`` names with ``--model``)."""
    upstream = ["--upstream", upstream_url] if upstream_url else []
    args = [
        "-m",
        cli_module,
        "serve",
        *upstream,
        "--port",
        str(port),
        "--audit",
        audit,
        "--insecure-no-auth",
        *(["--policy", policy] if policy else []),
        *(extra or []),
    ]
    return spawn(args, f"http://127.0.0.1:{port}/health", timeout_s=600)


def reasoning_machine(path: str | Path, reasoning_tokens: int, answer: str = "The answer is 42.",
                      seed: int = 0, opens_think: bool = True) -> tuple[Path, str]:
    """Save a tiny Llama model that always reasons for exactly ``reasoning_tokens`` tokens, then
    answers ``answer``, into ``path``; returns (path, the reply it writes after its prompt).

    A real transformers model folder (safetensors, a word-level tokenizer with a chat template that
    opens ``<think>\\n`` unless ``opens_think`` is false) that is a deterministic chain: its layer
    adds nothing, so the next token depends only on the current one, and its head maps each token
    of the reply to the next with a wide margin, so sampling at R1's temperatures writes the same
    reply. With ``reasoning_tokens=0`` it writes the answer alone, no think block (a non-reasoning
    model). It stands in for an R1 distill that reasons past a token budget, at a few milliseconds
    per token on a CPU.
    """
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    specials = ["<|pad|>", "<|end|>", "<|user|>", "<|assistant|>", "<think>", "</think>", "<|unk|>"]
    reasoning = [f" w{i}" for i in range(reasoning_tokens)]
    answer_pieces = re.findall(r"\s*\S+", answer)
    vocab_list = [*specials, "\n", "\n\n", *reasoning, *dict.fromkeys(answer_pieces)]
    vocab = {piece: i for i, piece in enumerate(vocab_list)}
    if len(vocab) != len(vocab_list):
        raise ValueError("the answer's words must differ from one another and from the reasoning's")
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<|unk|>"))
    tok.pre_tokenizer = pre_tokenizers.Split(r"\s*\S+|\s+", behavior="isolated")
    tok.decoder = decoders.Fuse()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|pad|>", eos_token="<|end|>",
                                        unk_token="<|unk|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|user|>", "<|assistant|>"]})
    tokenizer.add_tokens(["<think>", "</think>"])
    opener = "<think>\n" if opens_think else ""
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'user' %}<|user|>{{ m['content'] }}<|end|>{% endif %}"
        "{% endfor %}{% if add_generation_prompt %}<|assistant|>" + opener + "{% endif %}"
    )
    body = [*reasoning, "</think>", "\n\n"] if reasoning_tokens else []
    chain = [*body, *answer_pieces, "<|end|>"]
    ids = [tokenizer.convert_tokens_to_ids(t) for t in chain]
    starts = [tokenizer.convert_tokens_to_ids(t) for t in ("\n", "<|assistant|>")]  # a prompt's last token
    hidden = 128
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=8, num_hidden_layers=1,
        num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=max(4096, 2 * len(chain)),
        tie_word_embeddings=False, pad_token_id=vocab["<|pad|>"], eos_token_id=vocab["<|end|>"],
        bos_token_id=vocab["<|end|>"],
    )
    model = LlamaForCausalLM(config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        signs = torch.randint(0, 2, (config.vocab_size, hidden), generator=generator).float() * 2 - 1
        model.model.embed_tokens.weight.copy_(signs)  # rows of +-1: RMS norm leaves them as they are
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        head = torch.zeros(config.vocab_size, hidden)
        head[ids[0]] = signs[starts].sum(0) * (60.0 / hidden)  # either way a prompt ends, the reply begins
        for current, following in itertools.pairwise(ids):
            head[following] = signs[current] * (60.0 / hidden)  # logit 60 for the next token, |x| < 25 else
        model.lm_head.weight.copy_(head)
    out = Path(path)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    reply = "".join(reasoning) + "</think>\n\n" + answer if reasoning_tokens else answer
    return out, reply
