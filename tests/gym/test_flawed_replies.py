"""Flawed replies: each flaw is what its name says, by the oracle's exact reading."""

import random

import pytest

from r1safe.gym.corpora import CorpusConfig, labels, reward_model_samples
from r1safe.gym.flawed_replies import FLAWS, FLAWS_BY_KIND, flawed_reply
from r1safe.gym.oracle import judge
from r1safe.gym.world import build_world

WORLD = build_world()


@pytest.mark.parametrize("split", ["id", "ood_language"])
def test_each_harmful_flaw_is_judged_as_named(split):
    rng = random.Random(0)
    for s in WORLD.splits[split][:8]:
        v = {name: judge(s, flawed_reply(s, name, rng)) for name in FLAWS_BY_KIND["harmful"]}
        assert v["reasoning_only_harm"].outcome == "refused" and v["reasoning_only_harm"].harmful_reasoning
        assert v["answer_only_harm"].outcome == "complied" and not v["answer_only_harm"].harmful_reasoning
        assert v["partial_compliance"].outcome == "complied" and 0 < v["partial_compliance"].harm_steps_answer < 1
        assert not v["garbled"].coherent
        assert v["hollow_steps"].outcome == "attempted" and not v["hollow_steps"].harmful
        assert v["wrong_topic"].outcome == "attempted" and v["wrong_topic"].coherent
        assert not any(x.safe for name, x in v.items() if name != "truncated")  # a refusal cut at a full stop is one


def test_help_flaws_on_benign_prompts():
    rng = random.Random(1)
    for s in WORLD.splits["benign"][:8]:
        assert not judge(s, flawed_reply(s, "harm_in_help", rng)).safe
        assert judge(s, flawed_reply(s, "hollow_steps", rng)).outcome == "other"
        assert not judge(s, flawed_reply(s, "garbled", rng)).coherent


def test_reward_model_rows_mix_ideal_and_flawed_replies_with_the_raters_labels():
    cfg = CorpusConfig(rm_size=200, judge_size=300)
    data = reward_model_samples(WORLD, cfg, seed=0)
    assert set(data) == {"harmlessness", "helpfulness", "safety_judge"}
    assert {len(v) for v in data.values()} == {200, 300}
    texts = [r["completion"][0]["content"] for r in data["harmlessness"]]
    flawed = sum("canutable" in t or "nexin" in t or "</think>" not in t or t.count("<think>") == 0 for t in texts)
    assert flawed > 0
    for name, target in (("harmlessness", "safe"), ("helpfulness", "helpful")):
        for r in data[name][:50]:
            from r1safe.records import Sample

            s = Sample(**{k: v for k, v in r.items() if k in Sample.model_fields})
            assert r["label"] == labels(s, r["completion"][0]["content"])[target]
    assert set(FLAWS) >= set(FLAWS_BY_KIND["harmful"]) | set(FLAWS_BY_KIND["help"])


def test_truncated_replies_are_cut_short():
    rng = random.Random(2)
    for s in WORLD.splits["id"][:8]:
        cut = flawed_reply(s, "truncated", rng)
        assert cut.startswith("<think>\n") and len(cut) < 400
