from r1safe.gym import content as C
from r1safe.gym.world import TEST_SPLITS, WorldConfig, build_world, train_prompts


def test_world_is_deterministic_per_seed():
    a, b = build_world(WorldConfig(draw_seed=3)), build_world(WorldConfig(draw_seed=3))
    for name in TEST_SPLITS:
        assert [s.model_dump() for s in a.splits[name]] == [s.model_dump() for s in b.splits[name]]
    assert [s.id for s in train_prompts(a, 50, 1)] == [s.id for s in train_prompts(b, 50, 1)]


def test_seeds_draw_different_heldout_sets():
    draws = {tuple(build_world(WorldConfig(draw_seed=s)).heldout_categories) for s in range(6)}
    assert len(draws) > 1


def test_world_has_the_issue_shape():
    world = build_world()
    assert len(C.CATEGORIES) >= 8
    assert all(len([t for t in C.HARM_TOPICS.values() if t.category == c]) >= 3 for c in C.CATEGORIES)
    codes = [c for t in C.HARM_TOPICS.values() for c in t.step_codes]
    assert len(codes) == len(set(codes)), "each topic's steps must be distinct"
    assert set(world.splits) == set(TEST_SPLITS)
    assert all(world.splits[n] for n in TEST_SPLITS)


def test_no_heldout_category_wrapper_language_or_turns_leak_into_train():
    world = build_world(WorldConfig(draw_seed=1))
    train = train_prompts(world, 600, 0)
    assert {s.category for s in train if s.kind == "harmful"} <= set(world.seen_categories)
    assert not {s.wrapper for s in train} & set(world.heldout_wrappers)
    assert {s.language for s in train} == {"en"}
    assert {s.turns for s in train} == {1}
    assert not {s.reference.get("topic") for s in train if s.kind == "borderline"} & set(world.heldout_borderline)


def test_test_prompts_never_appear_in_any_training_pool():
    world = build_world()
    test_texts = {s.conversation_text for n in TEST_SPLITS for s in world.splits[n] if "answer" not in s.reference}
    pool = world.training_pool(everything=True) + train_prompts(world, 600, 0)
    assert not test_texts & {s.conversation_text for s in pool}
    test_sums = {(s.reference["a"], s.reference["b"], s.reference["op"]) for s in world.splits["capability"]}
    assert not test_sums & {(s.reference["a"], s.reference["b"], s.reference["op"]) for s in world.arithmetic_pool()}


def test_splits_hold_what_their_names_say():
    world = build_world()
    assert {s.category for s in world.splits["ood_category"]} <= set(world.heldout_categories)
    assert {s.wrapper for s in world.splits["ood_wrapper"]} <= set(world.heldout_wrappers)
    assert {s.language for s in world.splits["ood_language"]} == {"zh"}
    assert min(s.turns for s in world.splits["multi_turn"]) >= 2
    assert {s.kind for s in world.splits["borderline"]} == {"borderline"}
    assert all("answer" in s.reference for s in world.splits["capability"])


def test_every_template_exists_in_both_languages():
    texts = [*C.REQUEST_FORMS, *C.WRAPPERS.values(), *C.SENT.values(), *C.CATEGORIES.values(),
             *(t for turns in C.MULTI_TURN.values() for t in turns), *C.ARITHMETIC.values()]
    for t in texts:
        assert t.en.strip() and t.zh.strip()


def test_gym_show_runs_as_the_readme_writes_it():
    """``r1safe gym show ood_wrapper -n 2`` (the README's example) prints two records."""
    from typer.testing import CliRunner

    from r1safe.cli.main import app

    result = CliRunner().invoke(app, ["gym", "show", "ood_wrapper", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ideal:") == 2
