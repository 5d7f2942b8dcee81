"""Public benchmark adapters on fixture files in each benchmark's published column layout (rows
invented), and the comma-separated suite over them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from r1safe.errors import ConfigError, DataError
from r1safe.eval.datasets import DATASETS, PUBLIC, load_suite
from r1safe.eval.datasets.multijail import parse_tags
from r1safe.eval.datasets.public import Source, fetch_error, read_file
from r1safe.records import Sample

FIXTURES = Path(__file__).parents[1] / "fixtures" / "datasets"
FILES = {
    "harmbench": FIXTURES / "harmbench.csv",
    "strongreject": FIXTURES / "strongreject.csv",
    "xstest": FIXTURES / "xstest.csv",
    "advbench": FIXTURES / "advbench.csv",
    "jailbreakbench": FIXTURES / "jailbreakbench",
    "sorry_bench": FIXTURES / "sorry_bench.jsonl",
    "wildjailbreak": FIXTURES / "wildjailbreak" / "train.tsv",
    "multijail": FIXTURES / "multijail.csv",
    "wildguardtest": FIXTURES / "wildguardtest.parquet",
    "jailjudge": FIXTURES / "jailjudge.csv",
    "saferlhf": FIXTURES / "saferlhf.csv",
    "coconot": FIXTURES / "coconot",
    "oasst": FIXTURES / "oasst",
    "arena_hard": FIXTURES / "arena_hard" / "question.jsonl",
}
GENERATED = {"arithmetic"}


def load(name: str, **params) -> list[Sample]:
    if name in GENERATED:
        return DATASETS.create(name, **params)
    return DATASETS.create(name, path=str(FILES[name]), **params)


def by_split(samples: list[Sample]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in samples:
        out.setdefault(s.split, []).append(s.id)
    return out


@pytest.mark.parametrize("name", PUBLIC)
def test_every_adapter_fills_ids_reference_language_kind(name: str) -> None:
    samples = load(name)
    assert samples
    assert len({s.id for s in samples}) == len(samples)
    for s in samples:
        assert s.id.startswith(f"{name}-")
        assert s.kind in ("harmful", "benign", "borderline")
        assert s.language
        assert s.prompt[-1]["role"] == "user" and s.prompt[-1]["content"]
        assert s.reference["dataset"] == name
        assert s.reference["license"]
        assert s.reference["source_id"] not in (None, "")
    assert [s.id for s in load(name)] == [s.id for s in samples]  # stable across reads


def test_harmbench_splits_context_and_copyright_apart() -> None:
    samples = {s.id: s for s in load("harmbench")}
    assert by_split(list(samples.values())) == {
        "harmbench_standard": ["harmbench-placeholder_standard_a", "harmbench-placeholder_standard_b"],
        "harmbench_contextual": ["harmbench-placeholder_contextual_c"],
        "harmbench_copyright": ["harmbench-placeholder_copyright_d"],
    }
    contextual = samples["harmbench-placeholder_contextual_c"]
    assert contextual.last_user_text == (
        "[Placeholder context paragraph, line one.]\n[Placeholder context paragraph, line two.]"
        "\n\n---\n\nGiven this text, explain how to do [harmful thing placeholder C]")
    standard = samples["harmbench-placeholder_standard_a"]
    assert standard.last_user_text == "Explain how to do [harmful thing placeholder A]"
    assert (standard.kind, standard.category, standard.language) == ("harmful", "chemical_biological", "en")
    assert standard.reference == {"dataset": "harmbench", "license": "MIT", "source_id": "placeholder_standard_a",
                                  "functional_category": "standard", "tags": ""}
    assert samples["harmbench-placeholder_copyright_d"].reference["tags"] == "lyrics, hash_check"


def test_xstest_safe_prompts_are_the_benign_over_refusal_split() -> None:
    samples = load("xstest")
    assert by_split(samples) == {"xstest_safe": ["xstest-1", "xstest-2", "xstest-4"],
                                 "xstest_unsafe": ["xstest-3", "xstest-5"]}
    assert {s.kind for s in samples if s.split == "xstest_safe"} == {"benign"}
    assert {s.kind for s in samples if s.split == "xstest_unsafe"} == {"harmful"}
    first = samples[0]
    assert first.category == "homonyms"
    assert first.reference == {"dataset": "xstest", "license": "CC-BY-4.0", "source_id": "1", "label": "safe",
                               "focus": "placeholder", "note": "violence"}


def test_strongreject_and_advbench_number_rows() -> None:
    strong = load("strongreject")
    assert [s.id for s in strong] == ["strongreject-1", "strongreject-2", "strongreject-3"]
    assert {s.split for s in strong} == {"strongreject"}
    assert strong[1].category == "Violence" and strong[1].reference["source"] == "AdvBench"
    assert strong[1].last_user_text == "Describe, step by step, [harmful thing placeholder B]"
    adv = load("advbench")
    assert [(s.id, s.split, s.kind, s.category) for s in adv] == [
        ("advbench-1", "advbench", "harmful", None), ("advbench-2", "advbench", "harmful", None)]
    assert adv[0].reference["target"].startswith("Sure, here is")


def test_jailbreakbench_folder_file_and_benign_path() -> None:
    both = load("jailbreakbench")
    assert by_split(both) == {"jbb_harmful": ["jailbreakbench-harmful-1", "jailbreakbench-harmful-2"],
                              "jbb_benign": ["jailbreakbench-benign-1", "jailbreakbench-benign-2"]}
    assert [s.kind for s in both] == ["harmful", "harmful", "benign", "benign"]
    assert both[1].category == "Malware/Hacking" and both[1].reference["source"] == "AdvBench"
    benign_only = DATASETS.create("jailbreakbench", path=str(FILES["jailbreakbench"] / "benign-behaviors.csv"))
    assert {s.split for s in benign_only} == {"jbb_benign"}
    pair = DATASETS.create("jailbreakbench", path=str(FILES["jailbreakbench"] / "harmful-behaviors.csv"),
                           benign_path=str(FILES["jailbreakbench"] / "benign-behaviors.csv"))
    assert [s.id for s in pair] == [s.id for s in both]


def test_sorry_bench_base_by_default_styles_as_wrappers_and_turns() -> None:
    base = load("sorry_bench")
    assert [s.id for s in base] == ["sorry_bench-1", "sorry_bench-2", "sorry_bench-3"]
    assert {(s.split, s.kind, s.wrapper, s.language) for s in base} == {("sorry_bench", "harmful", None, "en")}
    assert base[1].category == "7"
    multi = base[2]
    assert multi.turns == 2 and [m["role"] for m in multi.prompt] == ["user", "user"]
    styled = load("sorry_bench", prompt_styles=["slang", "translate-zh-cn"])
    assert [(s.id, s.wrapper, s.language) for s in styled] == [
        ("sorry_bench-slang-1", "slang", "en"), ("sorry_bench-translate-zh-cn-2", "translate-zh-cn", "zh")]
    assert len(load("sorry_bench", prompt_styles="all")) == 5
    with pytest.raises(DataError, match=r"no rows of prompt_style role_play; present: base, slang"):
        load("sorry_bench", prompt_styles="role_play")


def test_wildjailbreak_train_and_eval_split_by_data_type() -> None:
    train = load("wildjailbreak")
    assert by_split(train) == {f"wildjailbreak_{t}": [f"wildjailbreak-train-{i}"] for i, t in enumerate(
        ["vanilla_harmful", "vanilla_benign", "adversarial_harmful", "adversarial_benign"], start=1)}
    assert [(s.kind, s.wrapper) for s in train] == [
        ("harmful", None), ("benign", None), ("harmful", "adversarial"), ("benign", "adversarial")]
    assert train[0].last_user_text == "Explain how to do [harmful thing placeholder A]"
    assert train[2].last_user_text.startswith("As a novelist,")
    assert train[2].reference["vanilla"] == "Explain how to do [harmful thing placeholder C]"
    evals = DATASETS.create("wildjailbreak", path=str(FIXTURES / "wildjailbreak" / "eval.tsv"))
    assert [(s.id, s.split, s.kind, s.reference["label"]) for s in evals] == [
        ("wildjailbreak-eval-1", "wildjailbreak_adversarial_harmful", "harmful", "1"),
        ("wildjailbreak-eval-2", "wildjailbreak_adversarial_benign", "benign", "0")]


def test_multijail_one_split_per_language() -> None:
    zh = load("multijail")
    assert [(s.id, s.split, s.language) for s in zh] == [("multijail-zh-1", "multijail_zh", "zh"),
                                                          ("multijail-zh-2", "multijail_zh", "zh")]
    assert zh[0].last_user_text == "[占位符：有害请求 A]"
    assert zh[1].category == "theft" and zh[1].reference["tags"] == ["theft", "fraud & deception"]
    several = load("multijail", languages="ar,en")
    assert list(by_split(several)) == ["multijail_ar", "multijail_en"]
    with pytest.raises(ConfigError, match=r"multijail: unknown language 'xx'; known: en, zh"):
        load("multijail", languages=["xx"])


def test_tags_cells_parse_as_lists() -> None:
    assert parse_tags("['a', 'b c']") == ["a", "b c"]
    assert parse_tags("a, b") == ["a", "b"]
    assert parse_tags("") == []


def test_suite_is_the_union_of_its_entries(tmp_path: Path) -> None:
    own = tmp_path / "own.jsonl"
    own.write_text(json.dumps({"id": "mine", "prompt": "hello", "split": "mine", "kind": "benign"}) + "\n")
    suite = f"harmbench={FILES['harmbench']}, xstest={FILES['xstest']},strongreject,{own}"
    samples = load_suite(suite, files={"strongreject": str(FILES["strongreject"])})
    assert list(by_split(samples)) == ["harmbench_standard", "harmbench_contextual", "harmbench_copyright",
                                       "xstest_safe", "xstest_unsafe", "strongreject", "mine"]
    chosen = load_suite(suite, ["xstest_safe", "strongreject"], limit=2,
                        files={"strongreject": str(FILES["strongreject"])})
    assert [s.id for s in chosen] == ["xstest-1", "xstest-2", "strongreject-1", "strongreject-2"]
    with_gym = load_suite(f"gym,advbench={FILES['advbench']}", world={"test_size": 2})
    assert with_gym[-1].id == "advbench-2" and len(with_gym) > 2
    languages = load_suite(f"multijail={FILES['multijail']}", dataset_params={"multijail": {"languages": ["ko"]}})
    assert {s.split for s in languages} == {"multijail_ko"}


def test_suite_duplicate_ids_across_entries(tmp_path: Path) -> None:
    copy = tmp_path / "again.csv"
    shutil.copy(FILES["advbench"], copy)
    with pytest.raises(DataError, match=r"sample id 'advbench-1' comes from both 'advbench=.*' and 'advbench=.*again"):
        load_suite(f"advbench={FILES['advbench']},advbench={copy}")


def test_suite_entry_errors() -> None:
    with pytest.raises(ConfigError, match=r"unknown suite 'harmbnch'.*harmbench, strongreject"):
        load_suite(f"harmbnch={FILES['harmbench']}")
    with pytest.raises(ConfigError, match=r"no path after '='"):
        load_suite("harmbench=")
    with pytest.raises(ConfigError, match=r"files: unknown dataset 'xtest'"):
        load_suite("xstest", files={"xtest": "x.csv"})
    with pytest.raises(ConfigError, match=r"empty suite"):
        load_suite(" , ")


def test_missing_column_is_one_line_naming_file_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "behaviors.csv"
    bad.write_text("Behavior,FunctionalCategory,SemanticCategory,Tags,BehaviorID\nx,standard,y,,z\n")
    with pytest.raises(DataError, match=r"behaviors.csv: missing column 'ContextString'") as info:
        load_suite(f"harmbench={bad}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("xstest", "id,prompt,type,label\n1,hi,homonyms,safe\n2,,homonyms,safe\n", r"x.csv: row 2: prompt is empty"),
    ("xstest", "id,prompt,type,label\n1,hi,homonyms,maybe\n", r"row 1: label 'maybe' is not 'safe' or 'unsafe'"),
    ("harmbench", "Behavior,FunctionalCategory,SemanticCategory,ContextString,BehaviorID\nx,multimodal,c,,b\n",
     r"row 1: FunctionalCategory 'multimodal' is not one of standard, contextual, copyright"),
    ("harmbench", "Behavior,FunctionalCategory,SemanticCategory,ContextString,BehaviorID\n"
                  "x,standard,c,,b\ny,standard,c,,b\n", r"row 2: duplicate id 'harmbench-b' \(first on row 1\)"),
])
def test_bad_rows_name_the_row(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message) as info:
        DATASETS.create(name, path=str(path))
    assert "\n" not in str(info.value)


def test_sorry_bench_bad_turns_and_json_row(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"question_id": 1, "category": "1", "turns": "not a list", "prompt_style": "base"}\n')
    with pytest.raises(DataError, match=r"q.jsonl: row 1: turns must be a non-empty list"):
        DATASETS.create("sorry_bench", path=str(path))
    path.write_text("{oops\n")
    with pytest.raises(DataError, match=r"q.jsonl: row 1: invalid JSON"):
        DATASETS.create("sorry_bench", path=str(path))


def test_other_file_types_read_the_same_rows(tmp_path: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(FILES["xstest"], dtype=str, keep_default_na=False)
    frame.to_parquet(tmp_path / "xstest.parquet")
    (tmp_path / "xstest.json").write_text(frame.to_json(orient="records"))
    expected = [s.model_dump() for s in load("xstest")]
    for suffix in ("parquet", "json"):
        got = DATASETS.create("xstest", path=str(tmp_path / f"xstest.{suffix}"))
        assert [s.model_dump() for s in got] == expected
    with pytest.raises(DataError, match=r"unknown file type '.txt'"):
        read_file(_touch(tmp_path / "x.txt"))
    with pytest.raises(DataError, match=r"nope.csv: no such dataset file"):
        read_file(tmp_path / "nope.csv")


def _touch(path: Path) -> Path:
    path.write_text("a\n")
    return path


@pytest.mark.parametrize(("name", "file", "url"), [
    ("harmbench", "harmbench_behaviors_text_all.csv", "https://raw.githubusercontent.com/centerforaisafety/HarmBench/"),
    ("strongreject", "strongreject_dataset.csv", "https://raw.githubusercontent.com/alexandrasouly/strongreject/"),
    ("xstest", "xstest_prompts.csv", "https://raw.githubusercontent.com/paul-rottger/exaggerated-safety/"),
    ("advbench", "harmful_behaviors.csv", "https://raw.githubusercontent.com/llm-attacks/llm-attacks/"),
    ("jailbreakbench", "harmful-behaviors.csv and benign-behaviors.csv",
     "https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors/"),
    ("sorry_bench", "question.jsonl", "https://huggingface.co/datasets/sorry-bench/sorry-bench-202406"),
    ("wildjailbreak", "eval/eval.tsv (or train/train.tsv)", "https://huggingface.co/datasets/allenai/wildjailbreak"),
    ("multijail", "MultiJail.csv", "https://raw.githubusercontent.com/DAMO-NLP-SG/multilingual-safety-for-LLMs/"),
])
def test_offline_without_a_file_says_what_to_download(name: str, file: str, url: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_suite(name)
    said = str(info.value)
    assert "\n" not in said
    assert said.startswith(f"{name}: no local file and the hub is offline (HF_HUB_OFFLINE); download {file} from {url}")
    assert f"and pass --suite {name}=" in said
    assert ("gated: accept its terms" in said) == (name in ("sorry_bench", "wildjailbreak"))


def test_gated_and_unreachable_fetch_errors() -> None:
    gated = Source(name="wildjailbreak", license="ODC-BY", file="eval/eval.tsv", url="https://hf.co/x",
                   hub_id="allenai/wildjailbreak", gated=True)
    said = str(fetch_error(gated, PermissionError("401 Client Error: Unauthorized (gated dataset)")))
    assert said.startswith("wildjailbreak: allenai/wildjailbreak is gated on the Hugging Face Hub; accept its terms "
                           "at https://huggingface.co/datasets/allenai/wildjailbreak and log in")
    assert said.endswith("or download eval/eval.tsv from https://hf.co/x (gated: accept its terms there first) "
                         "and pass --suite wildjailbreak=PATH")
    open_source = Source(name="advbench", license="MIT", file="harmful_behaviors.csv", url="https://example.org/a.csv")
    said = str(fetch_error(open_source, ConnectionError("Name or service not known\nmore")))
    assert said == ("advbench: could not fetch harmful_behaviors.csv (ConnectionError: Name or service not known); "
                    "download harmful_behaviors.csv from https://example.org/a.csv and pass --suite advbench=PATH")


def test_no_path_with_a_reachable_source_fetches_the_same_rows(tmp_path: Path, monkeypatch) -> None:
    """The fetch path, through ``datasets``, against a real HTTP server on loopback serving the fixture."""
    import dataclasses
    import functools
    import http.server
    import threading

    import datasets

    from r1safe.eval.datasets import xstest

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(FIXTURES))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
        monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", tmp_path / "cache" / "downloads")
        url = f"http://127.0.0.1:{server.server_port}/xstest.csv"
        monkeypatch.setattr(xstest, "SOURCE", dataclasses.replace(xstest.SOURCE, url=url))
        fetched = DATASETS.create("xstest")
        assert [s.model_dump() for s in fetched] == [s.model_dump() for s in load("xstest")]
        monkeypatch.setattr(xstest, "SOURCE", dataclasses.replace(xstest.SOURCE, url=url.replace("xstest", "gone")))
        with pytest.raises(ConfigError, match=r"xstest: could not fetch xstest_prompts.csv \(.*\); download") as info:
            DATASETS.create("xstest")
        assert "\n" not in str(info.value)
        assert any((tmp_path / "cache" / "downloads").iterdir())  # fetched into the test's cache, not the user's
    finally:
        server.shutdown()
