"""The distill arm's reply filter: the rejection-sampling rules, judged by the proxy, not the oracle."""

from r1safe.gym.render import render_completion
from r1safe.gym.world import build_world
from r1safe.study.distill import keep

WORLD = build_world()
HARM = WORLD.splits["id"][0]
SUM = WORLD.splits["capability"][0]


def test_a_clean_finished_reply_the_proxy_calls_safe_is_kept():
    assert keep(HARM, render_completion(HARM, "refuse"), "stop", proxy_safe=0.9, min_proxy_safe=0.5)
    assert keep(SUM, render_completion(SUM, "help"), "stop", proxy_safe=0.9, min_proxy_safe=0.5)


def test_the_proxy_not_the_oracle_judges_safety():
    refusal, compliance = render_completion(HARM, "refuse"), render_completion(HARM, "comply")
    assert not keep(HARM, refusal, "stop", proxy_safe=0.2, min_proxy_safe=0.5)
    assert keep(HARM, compliance, "stop", proxy_safe=0.9, min_proxy_safe=0.5)  # the proxy's miss passes


def test_truncated_mixed_language_or_wrong_replies_are_dropped():
    answer = SUM.reference["answer"]
    assert not keep(SUM, render_completion(SUM, "help"), "length", proxy_safe=0.9, min_proxy_safe=0.5)
    assert not keep(SUM, render_completion(SUM, "help", switch_at=1), "stop", proxy_safe=0.9, min_proxy_safe=0.5)
    wrong = f"<think>\nI add the numbers.\n</think>\n\nThe answer is {answer + 1}."
    assert not keep(SUM, wrong, "stop", proxy_safe=0.9, min_proxy_safe=0.5)
    right = f"<think>\nI add the numbers.\n</think>\n\nThe answer is {answer}."
    assert keep(SUM, right, "stop", proxy_safe=0.9, min_proxy_safe=0.5)
