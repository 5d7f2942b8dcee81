"""r1safe's suites as inspect-ai tasks, scored by r1safe's judges.

Installed with r1safe, inspect-ai finds these through the ``inspect_ai`` entry point::

    inspect eval r1safe/gym --model openai/deepseek-r1
    inspect eval r1safe/harmbench -T path=harmbench_behaviors_text_all.csv --model vllm/...
    inspect eval r1safe/jsonl -T path=my_samples.jsonl -T judges=refusal,format,llama_guard
    inspect eval r1safe/suite -T suite=xstest=xstest_prompts.csv,strongreject=strongreject.csv

Every task generates once per sample and epoch at R1's recommended settings (temperature 0.6,
top-p 0.95, a 32,768-token budget, 4 samples per prompt, no system prompt added); inspect's own
``--temperature``, ``--top-p``, ``--max-tokens`` and ``--epochs`` override them. Common task
parameters (``-T``): ``splits`` (comma-separated), ``limit`` (prompts per split), ``epochs``,
``judges`` (comma-separated names from r1safe's judge registry; default ``refusal,format``, plus
``oracle`` on the gym), ``judge_options`` (``{judge: {option: value}}``) and ``think_forced``
(the model's chat template opens ``<think>`` itself and the provider does not return the
reasoning apart, so a reply without ``</think>`` is unfinished reasoning).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate

from r1safe.errors import ConfigError
from r1safe.eval import gym_link
from r1safe.eval.datasets import DATASETS, load_suite, select
from r1safe.eval.inspect_bridge import r1safe_judge, to_inspect_sample
from r1safe.records import Sample

# DeepSeek-R1's evaluation settings: temperature 0.6, top-p 0.95, 32,768 tokens, k samples per prompt.
R1_GENERATION = GenerateConfig(temperature=0.6, top_p=0.95, max_tokens=32768)
R1_EPOCHS = 4
DEFAULT_JUDGES = ("refusal", "format")
GYM_JUDGES = ("oracle", "refusal", "format")

Names = str | list[str] | None


def names(value: Names, what: str) -> list[str] | None:
    """A list of names from a list or a comma-separated string (as ``-T`` passes it)."""
    if value is None:
        return None
    items = [v.strip() for v in value.split(",")] if isinstance(value, str) else [str(v).strip() for v in value]
    if not items or not all(items):
        raise ConfigError(f"{what}: empty name in {value!r}")
    return items


def r1safe_task(samples: list[Sample], name: str, *, epochs: int = R1_EPOCHS, judges: Names = None,
                judge_options: dict[str, dict[str, Any]] | None = None, think_forced: bool = False,
                default_judges: tuple[str, ...] = DEFAULT_JUDGES) -> Task:
    """A task over ``samples``: plain generation at R1's settings, one scorer per judge."""
    if epochs < 1:
        raise ConfigError(f"epochs must be >= 1, got {epochs}")
    chosen = names(judges, "judges") or list(default_judges)
    options = judge_options or {}
    unused = [j for j in options if j not in chosen]
    if unused:
        raise ConfigError(f"judge_options: judge {unused[0]!r} is not among the judges ({', '.join(chosen)})")
    return Task(
        dataset=MemoryDataset([to_inspect_sample(s) for s in samples], name=name),
        solver=generate(),
        scorer=[r1safe_judge(j, think_forced=think_forced, **options.get(j, {})) for j in chosen],
        config=R1_GENERATION,
        epochs=Epochs(epochs, "mean"),
    )


def public_task(dataset: str, path: str | None, splits: Names, limit: int | None,
                loader: dict[str, Any] | None = None, **task_options: Any) -> Task:
    """A task over public dataset ``dataset`` read from ``path``; ``loader`` options left as None
    take the loader's defaults, ``task_options`` go to :func:`r1safe_task`."""
    params = {k: v for k, v in (loader or {}).items() if v is not None}
    samples = DATASETS.create(dataset, path=path, **params)
    return r1safe_task(select(samples, names(splits, "splits"), limit, source=dataset), dataset, **task_options)


@task
def suite(suite: str, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
          judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
          think_forced: bool = False) -> Task:
    """Any ``r1safe eval --suite`` value: ``gym``, a ``.jsonl`` file, a dataset name (or, once the
    suite reader takes them, ``name=PATH`` entries separated by commas)."""
    has_gym = "gym" in [entry.strip() for entry in suite.split(",")]
    default = GYM_JUDGES if has_gym else DEFAULT_JUDGES
    params = {"world": gym_link.world_config(None)} if has_gym else {}
    samples = load_suite(suite, names(splits, "splits"), limit, **params)
    return r1safe_task(samples, suite, epochs=epochs, judges=judges, judge_options=judge_options,
                       think_forced=think_forced, default_judges=default)


@task
def gym(gym: str | None = None, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
        judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
        think_forced: bool = False) -> Task:
    """The safety gym's held-out test splits, drawn from gym build ``gym`` (the default gym's world
    when None; nothing is built), scored by the gym oracle too."""
    samples = load_suite("gym", names(splits, "splits"), limit, world=gym_link.world_config(gym))
    return r1safe_task(samples, "gym", epochs=epochs, judges=judges, judge_options=judge_options,
                       think_forced=think_forced, default_judges=GYM_JUDGES)


@task
def jsonl(path: str, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
          judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
          think_forced: bool = False) -> Task:
    """A ``.jsonl`` file of r1safe samples (see :mod:`r1safe.eval.datasets.jsonl`)."""
    samples = select(DATASETS.create("jsonl", path=path), names(splits, "splits"), limit, source=path)
    return r1safe_task(samples, Path(path).stem, epochs=epochs, judges=judges, judge_options=judge_options,
                       think_forced=think_forced)


@task
def harmbench(path: str | None = None, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
              judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
              think_forced: bool = False) -> Task:
    """HarmBench's text behaviors (``harmbench_behaviors_text_all.csv``), split by functional category."""
    return public_task("harmbench", path, splits, limit, epochs=epochs, judges=judges,
                       judge_options=judge_options, think_forced=think_forced)


@task
def strongreject(path: str | None = None, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
                 judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
                 think_forced: bool = False) -> Task:
    """StrongREJECT's forbidden prompts."""
    return public_task("strongreject", path, splits, limit, epochs=epochs, judges=judges,
                       judge_options=judge_options, think_forced=think_forced)


@task
def xstest(path: str | None = None, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
           judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
           think_forced: bool = False) -> Task:
    """XSTest's prompts: safe ones measure over-refusal, unsafe contrasts are harmful."""
    return public_task("xstest", path, splits, limit, epochs=epochs, judges=judges,
                       judge_options=judge_options, think_forced=think_forced)


@task
def advbench(path: str | None = None, splits: Names = None, limit: int | None = None, epochs: int = R1_EPOCHS,
             judges: Names = None, judge_options: dict[str, dict[str, Any]] | None = None,
             think_forced: bool = False) -> Task:
    """AdvBench's harmful behaviors."""
    return public_task("advbench", path, splits, limit, epochs=epochs, judges=judges,
                       judge_options=judge_options, think_forced=think_forced)


@task
def jailbreakbench(path: str | None = None, benign_path: str | None = None, splits: Names = None,
                   limit: int | None = None, epochs: int = R1_EPOCHS, judges: Names = None,
                   judge_options: dict[str, dict[str, Any]] | None = None, think_forced: bool = False) -> Task:
    """JailbreakBench's behaviors: harmful ones and (from ``benign_path``) their benign twins."""
    return public_task("jailbreakbench", path, splits, limit, {"benign_path": benign_path}, epochs=epochs,
                       judges=judges, judge_options=judge_options, think_forced=think_forced)


@task
def sorry_bench(path: str | None = None, prompt_styles: Names = None, splits: Names = None,
                limit: int | None = None, epochs: int = R1_EPOCHS, judges: Names = None,
                judge_options: dict[str, dict[str, Any]] | None = None, think_forced: bool = False) -> Task:
    """SORRY-Bench's unsafe instructions in the chosen ``prompt_styles`` (the loader's default when None)."""
    return public_task("sorry_bench", path, splits, limit, {"prompt_styles": names(prompt_styles, "prompt_styles")},
                       epochs=epochs, judges=judges, judge_options=judge_options, think_forced=think_forced)


@task
def wildjailbreak(path: str | None = None, part: str | None = None, splits: Names = None, limit: int | None = None,
                  epochs: int = R1_EPOCHS, judges: Names = None,
                  judge_options: dict[str, dict[str, Any]] | None = None, think_forced: bool = False) -> Task:
    """WildJailbreak's vanilla and adversarial prompts, harmful and benign (``part``: eval or train)."""
    return public_task("wildjailbreak", path, splits, limit, {"part": part}, epochs=epochs, judges=judges,
                       judge_options=judge_options, think_forced=think_forced)


@task
def multijail(path: str | None = None, languages: Names = None, splits: Names = None, limit: int | None = None,
              epochs: int = R1_EPOCHS, judges: Names = None,
              judge_options: dict[str, dict[str, Any]] | None = None, think_forced: bool = False) -> Task:
    """MultiJail's harmful prompts in ``languages`` (one split each; the loader's default when None)."""
    return public_task("multijail", path, splits, limit, {"languages": names(languages, "languages")}, epochs=epochs,
                       judges=judges, judge_options=judge_options, think_forced=think_forced)
