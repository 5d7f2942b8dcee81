"""``TransformersBackend.stream``: one reply token by token, the same reply ``generate`` samples."""

from __future__ import annotations

from pathlib import Path

import pytest

PROMPTS = [
    [{"role": "user", "content": "How do I bake bread?"}],
    [{"role": "user", "content": "写一首关于春天的短诗。"}],  # characters split over byte-level tokens
]


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reasoning machine's tokenizer with a random head: a model that samples freely."""
    import torch
    from transformers import AutoModelForCausalLM

    from r1safe.guard.testing import reasoning_machine

    path, _ = reasoning_machine(tmp_path_factory.mktemp("random"), 50)
    model = AutoModelForCausalLM.from_pretrained(path)
    with torch.no_grad():
        model.lm_head.weight.copy_(torch.randn(model.lm_head.weight.shape, generator=torch.Generator().manual_seed(0)))
    model.save_pretrained(path, safe_serialization=True)
    return path


def _same_reply(model: str, force_think: bool, max_new_tokens: int) -> None:
    from r1safe.backends.base import GenerationParams
    from r1safe.backends.transformers import TransformersBackend

    backend = TransformersBackend(model, batch_size=4)
    params = GenerationParams(n=1, max_new_tokens=max_new_tokens, seed=3, force_think=force_think)
    for prompt in PROMPTS:
        (whole,) = backend.generate([prompt], params)[0]
        steps = list(backend.stream(prompt, params))
        assert "".join(s.text for s in steps) == whole.text
        assert [s.finish_reason for s in steps[:-1]] == [None] * (len(steps) - 1)
        assert steps[-1].finish_reason == whole.finish_reason
        assert steps[-1].completion_tokens == whole.completion_tokens
        assert steps[-1].prompt_tokens == backend.prompt_tokens([prompt], force_think)[0] > 0
        assert len(steps) > max_new_tokens // 4 or whole.finish_reason == "stop"


@pytest.mark.parametrize("force_think", [True, False])
def test_stream_is_generate_token_by_token_on_a_random_model(random_model, force_think) -> None:
    _same_reply(str(random_model), force_think, 40)


@pytest.mark.slow
@pytest.mark.parametrize("force_think", [True, False])
def test_stream_is_generate_token_by_token_on_smollm2(smollm2_dir, force_think) -> None:
    _same_reply(str(smollm2_dir), force_think, 24)


def test_stream_stops_when_asked(random_model) -> None:
    from r1safe.backends.base import GenerationParams
    from r1safe.backends.transformers import TransformersBackend

    backend = TransformersBackend(str(random_model))
    seen: list[int] = []
    steps = list(backend.stream(PROMPTS[0], GenerationParams(n=1, max_new_tokens=200, temperature=0.0),
                                should_stop=lambda: seen.append(1) or len(seen) >= 5))
    assert len(seen) == 5 and steps[-1].finish_reason == "length" and steps[-1].completion_tokens <= 6
