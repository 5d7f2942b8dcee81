"""Everything a recipe needs from outside, checked before a long run starts: every problem at once.

:func:`references` lists what a recipe reads, each with the recipe key that names it: data sources
(``data.sft``, ``stages.2.mix.0.data``, ``monitors.probe.path``), models (``base_model``,
``stages.N.teacher``) and the models of its judges (a reward's, rejection sampling's, the
reward-hacking monitor's; a judge's default hub model when the recipe names none).
:func:`check` tries each once: a data source is read and normalized (files, columns, rows; a
``hub`` source fetched or found in the local hub copy that ``--hub-dir`` names), a model must be
a folder with ``config.json``, in the local hub copy or cache, or on a reachable hub; the device,
the precision and vLLM must exist on this machine. It returns every problem, each naming its keys,
so ``r1safe train --check`` and the start of a run list them all in one go instead of failing on
the first after minutes of retries.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from r1safe.errors import ConfigError, R1SafeError
from r1safe.train.data import GYM_MODELS, TRACK_MODEL, resolve_base_model, resolve_source
from r1safe.train.recipe import Recipe

if TYPE_CHECKING:
    from r1safe.gym.build import GymArtifacts

Kind = str  # "data", "model" or "judge model"


@dataclass
class Reference:
    """One thing the recipe reads from outside, and every key that names it."""

    kind: Kind
    value: str
    keys: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    keys: tuple[str, ...]
    what: str
    message: str

    def line(self) -> str:
        return f"{', '.join(self.keys)} ({self.what}): {self.message}"


def _judge_model(judge: str | None, options: dict[str, Any] | None) -> str | None:
    """The hub model a judge loads (its ``model`` option, else its default), for judges that load
    one through transformers (llama_guard, qwen3guard); None for the others."""
    if not judge:
        return None
    from r1safe.eval.judges import JUDGES

    if judge not in JUDGES:
        return None
    try:
        default = inspect.signature(JUDGES.get(judge)).parameters.get("model")
    except (TypeError, ValueError):
        return None
    given = (options or {}).get("model")
    if default is None or not isinstance(default.default, str) or "/" not in default.default:
        return None  # an endpoint judge (a served model's name) or one without a model
    return str(given or default.default)


def references(recipe: Recipe) -> list[Reference]:
    """What ``recipe`` reads from outside (see the module doc), in recipe order."""
    found: dict[tuple[Kind, str], Reference] = {}

    def add(kind: Kind, value: str | None, key: str) -> None:
        if value:
            found.setdefault((kind, value), Reference(kind, value)).keys.append(key)

    own = (*GYM_MODELS, TRACK_MODEL)  # built by r1safe: checked when the run resolves its gym or track
    if recipe.base_model not in own:
        add("model", recipe.base_model, "base_model")
    for i, stage in enumerate(recipe.stages):
        default_key = "data.sft" if stage.kind == "sft" else "data.prompts"
        default = recipe.data.sft if stage.kind == "sft" else recipe.data.prompts
        add("data", stage.data or default, f"stages.{i}.data" if stage.data else default_key)
        for j, mix in enumerate(stage.mix):
            add("data", mix.data, f"stages.{i}.mix.{j}.data")
        teacher = getattr(stage, "teacher", None)
        if teacher and teacher not in own:
            add("model", teacher, f"stages.{i}.teacher")
        if stage.kind == "rejection_sampling" and stage.safety_judge == "judge":
            add("judge model", _judge_model(stage.judge, stage.judge_options), f"stages.{i}.judge_options.model")
        for k, reward in enumerate(getattr(stage, "rewards", [])):
            params = reward.params
            options = params.get("judge_options") or params.get("options") or {}
            key = "judge_options" if "judge_options" in params or "options" not in params else "options"
            add("judge model", _judge_model(params.get("judge"), options),
                f"stages.{i}.rewards.{k}.params.{key}.model")
    probe = recipe.monitors.probe
    if probe.enabled and probe.path:
        add("data", probe.path, "monitors.probe.path")
    hacking = recipe.monitors.reward_hacking
    if hacking.enabled:
        add("judge model", _judge_model(hacking.judge, hacking.judge_options),
            "monitors.reward_hacking.judge_options.model")
    refs = list(found.values())
    for ref in refs:  # one key per place, in recipe order (a default data key may repeat)
        ref.keys = list(dict.fromkeys(ref.keys))
    return refs


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _check_model(ref: Reference) -> str | None:
    """None when the model can be loaded here, else why not (and what to do)."""
    from pathlib import Path

    from r1safe.backends.loading import hub_offline, hub_reachable, resolve_model
    from r1safe.paths import expected_hub_copy

    try:
        source, local = resolve_model(ref.value)
    except ConfigError as err:
        return _first_line(err)
    if local:
        folder = Path(source)
        if not any(folder.glob("*.safetensors")):
            return f"{source} holds no *.safetensors weights (r1safe loads safetensors only)"
        return None
    if _in_hub_cache(source):
        return None
    copy = expected_hub_copy(source)
    get = (f"`hf download {source} --local-dir {copy}`" if copy is not None
           else f"`hf download {source} --local-dir DIR/{source}` and pass --hub-dir DIR")
    if hub_offline() or not hub_reachable():
        return f"not a local folder{f' (not in {copy})' if copy else ''}, not in the hub cache, and the hub " \
               f"cannot be reached; {get}"
    return _hub_access(source, "model", get)


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an unreadable cache counts as empty
        return False


def _hub_access(repo_id: str, repo_type: str, get: str) -> str | None:
    """None when the hub lets this machine read ``repo_id``, else why not (gated, missing)."""
    try:
        from huggingface_hub import auth_check

        auth_check(repo_id, repo_type=repo_type)
    except ImportError:
        return None
    except Exception as err:  # gated, missing or unreachable: one line either way
        name = type(err).__name__
        if "Gated" in name:
            return f"gated on the hub: accept its terms at https://huggingface.co/{repo_id}, then `hf auth login`"
        if "NotFound" in name:
            return f"no such repository on the hub ({name}); {get}"
        return f"the hub did not answer for it ({name}: {_first_line(err)[:120]}); {get}"
    return None


def _hub_source(value: str) -> tuple[str, bool] | None:
    """(hub id, gated) of a ``FORMAT:hub`` source, or None."""
    fmt, _, location = value.partition(":")
    if location != "hub":
        return None
    from r1safe.train.sources import SOURCES

    source = SOURCES.get(fmt)
    if source is None:
        import importlib

        try:
            source = getattr(importlib.import_module(f"r1safe.eval.datasets.{fmt}"), "SOURCE", None)
        except ImportError:
            return None
    return (source.hub_id, source.gated) if source is not None and source.hub_id else None


def _check_data(ref: Reference, gym: GymArtifacts | None, track: str | None) -> str | None:
    if ref.value.startswith("gym:") and gym is None:
        return None  # a gym corpus: built with the gym, checked when the run resolves its gym
    try:
        resolve_source(ref.value, gym, ref.keys[0], track)
    except R1SafeError as err:
        message = _first_line(err)
        for prefix in (f"{ref.keys[0]}: ", f"{ref.value}: "):
            message = message.removeprefix(prefix)
        hub = _hub_source(ref.value)
        if hub and any(w in message for w in ("offline", "cannot be reached", "could not fetch", "gated")):
            from r1safe.paths import expected_hub_copy

            repo, gated = hub
            copy = expected_hub_copy(repo)
            terms = f" (gated: accept its terms at https://huggingface.co/datasets/{repo} and `hf auth login` " \
                    "first)" if gated else ""
            where = f"not in {copy} and " if copy else ""
            target = copy or f"DIR/{repo}"
            return (f"{where}the hub is offline or unreachable; `hf download {repo} --repo-type dataset --local-dir "
                    f"{target}`{terms}" + ("" if copy else " and pass --hub-dir DIR"))
        return message
    return None


def _check_machine(recipe: Recipe) -> list[Problem]:
    """Device, precision and vLLM against what this machine has."""
    import torch

    out: list[Problem] = []
    cuda = torch.cuda.is_available()
    if recipe.device == "cuda" and not cuda:
        out.append(Problem(("device",), "cuda", f"torch {torch.__version__} sees no CUDA GPU on this machine; "
                           "use device: auto (or cpu) here, or run on a GPU machine with a CUDA build of torch"))
    on_gpu = cuda and recipe.device != "cpu"
    if recipe.precision == "fp16" and not on_gpu:
        out.append(Problem(("precision",), "fp16", "fp16 training needs a CUDA GPU; use fp32 (or bf16) on a CPU"))
    if recipe.precision == "bf16" and on_gpu and not torch.cuda.is_bf16_supported():
        out.append(Problem(("precision",), "bf16", f"{torch.cuda.get_device_name(0)} has no bf16; use fp16 or fp32"))
    vllm = [f"stages.{i}.use_vllm" for i, s in enumerate(recipe.stages) if getattr(s, "use_vllm", False)]
    if vllm and importlib.util.find_spec("vllm") is None:
        out.append(Problem(tuple(vllm), "vLLM", "vLLM is not installed: pip install 'r1safe[vllm]' on a CUDA "
                           "machine (README: which install for which machine), or set use_vllm: false"))
    elif vllm and not on_gpu:
        out.append(Problem(tuple(vllm), "vLLM", "GRPO's vLLM generation needs a CUDA GPU; set use_vllm: false here"))
    return out


def check(recipe: Recipe, gym: GymArtifacts | None = None,
          progress: Callable[[str], None] | None = None) -> list[Problem]:
    """Every problem that would stop ``recipe`` on this machine (see the module doc); [] when none."""
    say = progress or (lambda _m: None)
    problems = _check_machine(recipe)
    for ref in references(recipe):
        say(f"checking {ref.kind} {ref.value}")
        message = _check_data(ref, gym, recipe.track) if ref.kind == "data" else _check_model(ref)
        if message:
            problems.append(Problem(tuple(ref.keys), ref.value, message))
    if recipe.base_model == TRACK_MODEL or (recipe.base_model in GYM_MODELS and gym is not None):
        try:
            resolve_base_model(recipe.base_model, gym, track=recipe.track)
        except R1SafeError as err:
            problems.append(Problem(("base_model",), recipe.base_model, _first_line(err).removeprefix("base_model: ")))
    return problems


def report(recipe_name: str, problems: list[Problem]) -> str:
    """The listing ``r1safe train`` prints (and a run raises) for ``problems``."""
    if len(problems) == 1:
        return f"recipe {recipe_name} cannot run here: {problems[0].line()}"
    lines = [f"recipe {recipe_name} cannot run here: {len(problems)} problems"]
    lines += [f"  {p.line()}" for p in problems]
    return "\n".join(lines)


def require(recipe: Recipe, gym: GymArtifacts | None = None, progress: Callable[[str], None] | None = None) -> None:
    """Raise one :class:`~r1safe.errors.ConfigError` listing every problem, when there is any."""
    problems = check(recipe, gym, progress)
    if problems:
        raise ConfigError(report(recipe.name, problems))
