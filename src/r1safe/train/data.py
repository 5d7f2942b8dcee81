"""Where a recipe's inputs come from: its gym build, its base model and its data sources.

``gym`` specs are ``default`` (the default gym, built on first use), ``micro`` (the micro gym)
or a folder holding a finished gym build; ``track`` is a built real track (``corpora/<name>.jsonl`` and
a reasoning base in ``base/``, written by ``r1safe study --real``). Data sources are ``gym:<corpus>``
(``safety_sft``, ``train_prompts``, ``base``...), ``track:<corpus>``, a public set as ``FORMAT:PATH``
(``star1``, ``safechain``, ``reasoning``, ``gsm8k``, ``math``, ``orbench`` or an evaluation dataset name:
:mod:`r1safe.train.sources`), or a JSONL path whose rows are either prompt-completion (``prompt`` +
``completion``), conversations (``messages``) or prompts only, plus any metadata columns (``kind``,
``language``, ``reference``...) that rewards read.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from r1safe.errors import ConfigError, DataError
from r1safe.jsonl import read_objects

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts
    from r1safe.train.recipe import Recipe, StageConfig

GYM_MODELS = ("gym", "gym:micro")
STUDENT_DIR = "student_init"  # a run's fresh student, when its recipe sets ``student``
META_COLUMNS = ("id", "split", "kind", "category", "language", "wrapper", "turns", "reference")


def gym_from_dir(path: str | Path) -> GymArtifacts:
    """The :class:`~r1safe.gym.build.GymArtifacts` of a finished gym build folder."""
    from r1safe.gym.build import GymArtifacts, GymConfig

    root = Path(path).expanduser()
    report = root / "build_report.json"
    if not report.is_file():
        raise ConfigError(
            f"gym: {path} is not a finished gym build (no build_report.json); "
            "run `r1safe gym build` or use gym: default"
        )
    config = GymConfig.model_validate(json.loads(report.read_text(encoding="utf-8"))["config"])
    return GymArtifacts(root, config)


def resolve_gym(spec: str | None, progress: Any = None) -> GymArtifacts | None:
    """The gym build named by ``spec`` (built when missing), or None when ``spec`` is None."""
    if spec is None:
        return None
    from r1safe.gym.build import build_gym, default_gym, micro_config

    if spec == "default":
        return default_gym(progress=progress)
    if spec == "micro":
        return build_gym(micro_config(), progress=progress)
    return gym_from_dir(spec)


TRACK_MODEL = "track"


def track_path(track: str | None, what: str, field: str) -> Path:
    """A file or folder of the recipe's real track (``track`` set), with a one-line error naming ``field``
    when the recipe has no track or the track lacks it."""
    if track is None:
        raise ConfigError(f"{field}: {what!r} needs a real track; set track: PATH (`r1safe study --real` builds one)")
    path = Path(track).expanduser() / what
    if not path.exists():
        raise ConfigError(f"{field}: {path}: not in the track (build it with `r1safe study --real`)")
    return path


def resolve_base_model(base_model: str, gym: GymArtifacts | None, field: str = "base_model",
                       track: str | None = None) -> str:
    """The folder (or hub id) the first stage starts from; a hub id must be in the local hub cache or
    the hub reachable, else it is one line naming ``field``, as `r1safe eval` says it (not a traceback
    mid-stage). A stage's ``teacher`` is resolved the same way."""
    if base_model in GYM_MODELS:
        if gym is None:
            raise ConfigError(f"{field}: {base_model!r} needs a gym; set gym: default | micro | PATH")
        return str(gym.model_dir)
    if base_model == TRACK_MODEL:
        return str(track_path(track, "base", field))
    from r1safe.backends.named_models import is_named_model, named_model_dir

    if is_named_model(base_model):
        return str(named_model_dir(base_model))
    path = Path(base_model).expanduser()
    if path.exists() and not (path / "config.json").is_file():
        raise ConfigError(f"{field}: {base_model} has no config.json; pass a saved transformers model folder")
    if path.exists():
        return str(path)
    from r1safe.backends.loading import hub_cache_kwargs, resolve_model

    try:
        source, local = resolve_model(base_model)  # not a folder: a hub id, or its copy under --hub-dir
    except ConfigError as err:
        raise ConfigError(f"{field}: {err}") from None
    if local:
        return source
    hub_cache_kwargs(base_model)
    return base_model


def run_start(recipe: Any, gym: GymArtifacts | None, run_dir: Path) -> str:
    """The model a run's first stage starts from: the recipe's fresh student in ``run_dir`` when it
    sets ``student`` (built by the runner, :mod:`r1safe.train.student`), else its base model."""
    if recipe.student is not None:
        return str(Path(run_dir) / STUDENT_DIR)
    return resolve_base_model(recipe.base_model, gym, track=recipe.track)


def resolve_source(source: str, gym: GymArtifacts | None, field: str, track: str | None = None) -> Path:
    """The JSONL file behind a data source (``gym:<corpus>``, ``track:<corpus>`` or a path), checked to exist."""
    from r1safe.train.sources import is_public_source, normalized_file

    if is_public_source(source):
        try:
            return normalized_file(source)
        except (ConfigError, DataError) as err:
            raise type(err)(f"{field}: {err}") from None
    if source.startswith("track:"):
        return track_path(track, f"corpora/{source.split(':', 1)[1]}.jsonl", field)
    if source.startswith("gym:"):
        if gym is None:
            raise ConfigError(f"{field}: {source!r} needs a gym; set gym: default | micro | PATH")
        path = Path(gym.corpus(source.split(":", 1)[1]))
    else:
        path = Path(source).expanduser()
    if not path.is_file():
        fmt = _FORMAT.match(source)
        if fmt:  # FORMAT:LOCATION with a format nobody reads: say so, not "no such file"
            raise ConfigError(f"{field}: {source}: unknown data format {fmt.group(1)!r}; formats: {known_formats()} "
                              "(FORMAT:PATH or FORMAT:hub), gym:<corpus>, or a JSONL path")
        raise ConfigError(f"{field}: {source} -> {path}: no such file")
    return path


_FORMAT = re.compile(r"^([A-Za-z][\w-]+):(?!//)")


def known_formats() -> str:
    """The data formats a source may name: the public training formats and the evaluation datasets."""
    from r1safe.eval.datasets import DATASETS
    from r1safe.train.sources import READERS

    return ", ".join([*READERS, *(n for n in DATASETS.names() if n not in ("gym", "jsonl"))])


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (first 16 hex digits), recorded in each stage's lineage."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def read_rows(path: Path, max_rows: int | None = None) -> list[dict[str, Any]]:
    """The rows of a JSONL file (the first ``max_rows``), with a one-line error for a bad line."""
    rows = read_objects(path, max_rows)
    if not rows:
        raise DataError(f"{path}: no rows")
    return rows


def _messages(value: Any, where: str) -> list[dict[str, str]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not all(isinstance(m, dict) and {"role", "content"} <= set(m) for m in value):
        raise DataError(f"{where}: expected a string or a list of {{role, content}} messages")
    return [{"role": m["role"], "content": m["content"]} for m in value]


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: row.get(k) for k in META_COLUMNS}
    out["reference"] = json.dumps(row.get("reference") or {}, ensure_ascii=False, sort_keys=True)
    out["id"] = str(out["id"]) if out["id"] is not None else None
    return out


def prompt_rows(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """GRPO / sampling rows: ``prompt`` messages plus metadata (``reference`` as a JSON string,
    so that rows with differently shaped references survive ``datasets``)."""
    out = []
    for i, row in enumerate(rows, 1):
        if "prompt" in row:
            prompt = _messages(row["prompt"], f"{path}:{i}: prompt")
        elif "messages" in row:
            msgs = _messages(row["messages"], f"{path}:{i}: messages")
            prompt = msgs[:-1] if msgs[-1]["role"] == "assistant" else msgs
        else:
            raise DataError(f"{path}:{i}: a prompt row needs 'prompt' (or 'messages')")
        if not prompt or prompt[-1]["role"] != "user":
            raise DataError(f"{path}:{i}: the prompt's last message must be the user's")
        out.append({"prompt": prompt, **_meta(row)})
    return out


def sft_rows(rows: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """SFT rows in TRL's prompt-completion form (the loss then falls on the completion only)."""
    out = []
    for i, row in enumerate(rows, 1):
        if "prompt" in row and "completion" in row:
            prompt = _messages(row["prompt"], f"{path}:{i}: prompt")
            completion = row["completion"]
            if isinstance(completion, str):
                completion = [{"role": "assistant", "content": completion}]
            completion = _messages(completion, f"{path}:{i}: completion")
        elif "messages" in row:
            msgs = _messages(row["messages"], f"{path}:{i}: messages")
            if msgs[-1]["role"] != "assistant":
                raise DataError(f"{path}:{i}: messages must end with the assistant's turn")
            prompt, completion = msgs[:-1], msgs[-1:]
        else:
            raise DataError(f"{path}:{i}: an SFT row needs 'prompt' and 'completion' (or 'messages')")
        out.append({"prompt": prompt, "completion": completion})
    return out


def samples_from(rows: list[dict[str, Any]]) -> list[Any]:
    """:class:`~r1safe.records.Sample` objects from prompt rows (decoding ``reference``)."""
    from r1safe.train.rewards.base import as_sample

    return [as_sample(r["prompt"], i, **{k: r.get(k) for k in META_COLUMNS}) for i, r in enumerate(rows)]


def mix_rows(rows: list[dict[str, Any]], extra: list[tuple[list[dict[str, Any]], float]],
             seed: int) -> list[dict[str, Any]]:
    """``rows`` plus, from each ``(pool, ratio)``, ``round(ratio * len(rows))`` rows drawn from
    ``pool`` with ``seed`` (cycling the pool when it is smaller), shuffled together: R1 mixed
    reasoning data with other data this way, by ratio."""
    import random

    rng = random.Random(seed)
    out = list(rows)
    for pool, ratio in extra:
        want = round(ratio * len(rows))
        drawn: list[dict[str, Any]] = []
        while len(drawn) < want and pool:
            drawn += rng.sample(pool, min(len(pool), want - len(drawn)))
        out += drawn
    rng.shuffle(out)
    return out


def nested_subset(rows: list[dict[str, Any]], n: int, seed: int, field: str) -> list[dict[str, Any]]:
    """``n`` of ``rows`` chosen by a permutation seeded with ``seed``, kept in their original order: for
    one seed, a smaller ``n`` is always a subset of a larger one (a data-size dose varies only the size)."""
    import random

    if n > len(rows):
        raise ConfigError(f"{field}: {n} is more than the {len(rows)} rows of the data")
    order = random.Random(seed).sample(range(len(rows)), len(rows))
    return [rows[i] for i in sorted(order[:n])]


def stage_sources(recipe: Recipe, stage: StageConfig, gym: GymArtifacts | None,
                  index: int) -> list[tuple[str, Path, float | None]]:
    """``(source, file, ratio)`` of a stage's main data (ratio None) and of each ``mix`` entry."""
    main = stage.data or (recipe.data.sft if stage.kind == "sft" else recipe.data.prompts)
    first = resolve_source(main, gym, f"stages.{index}.data", recipe.track)
    out: list[tuple[str, Path, float | None]] = [(main, first, None)]
    for j, m in enumerate(stage.mix):
        out.append((m.data, resolve_source(m.data, gym, f"stages.{index}.mix.{j}.data", recipe.track),
                    m.ratio))
    return out


def load_stage_rows(recipe: Any, stage: Any, gym: GymArtifacts | None, index: int, shape: str,
                    seed: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A stage's rows (``shape`` ``sft`` or ``prompts``), its mix drawn in, and the data record of
    its manifest (source, path, sha256, rows, and each mixed source's)."""
    to_rows = sft_rows if shape == "sft" else prompt_rows
    sources = stage_sources(recipe, stage, gym, index)
    (main, path, _), mixed = sources[0], sources[1:]
    rows = to_rows(read_rows(path, stage.max_rows), path)
    if stage.max_samples is not None:
        rows = nested_subset(rows, stage.max_samples, seed, f"stages.{index}.max_samples")
    extra = [(to_rows(read_rows(p), p), ratio or 0.0) for _, p, ratio in mixed]
    data: dict[str, Any] = {"source": main, "path": str(path), "sha256": file_digest(path), "rows": len(rows)}
    if stage.max_samples is not None:
        data["max_samples"] = stage.max_samples
    if mixed:
        rows = mix_rows(rows, extra, seed)
        data["mix"] = [{"source": s, "path": str(p), "sha256": file_digest(p), "ratio": r} for s, p, r in mixed]
        data["rows"] = len(rows)
    return rows, data
