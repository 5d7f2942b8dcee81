"""``r1safe study --real``: options → :class:`RealStudyConfig` → :func:`run_real_study` → summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from r1safe.cli.options import log_progress


def real_study(out: Path | None, data_dir: Path | None, config_file: Path | None, jobs: int | None,
               samples: int | None, limit: int | None, arms: str | None, tune: bool = False) -> None:
    """Run the real track with the shipped defaults, a config file's fields and the command line's, in that
    order of precedence (the command line last)."""
    import time

    from pydantic import ValidationError
    from rich.console import Console

    from r1safe.config import format_validation_error, load_yaml
    from r1safe.errors import ConfigError
    from r1safe.study.real.config import RealStudyConfig
    from r1safe.study.real.runner import run_real_study

    fields: dict[str, Any] = load_yaml(config_file) if config_file else {}
    for key, value in (("out", out), ("data_dir", data_dir), ("jobs", jobs)):
        if value is not None:
            fields[key] = str(value) if isinstance(value, Path) else value
    if arms:
        fields["arms"] = [a.strip() for a in arms.split(",") if a.strip()]
    evaluation = dict(fields.get("eval") or {})
    for key, value in (("samples", samples), ("limit", limit)):
        if value is not None:
            evaluation[key] = value
    if evaluation:
        fields["eval"] = evaluation
    try:
        cfg = RealStudyConfig.model_validate(fields)
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, str(config_file or "study --real"))) from None
    console = Console()
    t0 = time.perf_counter()
    if tune:
        from r1safe.study.real.tuning import tune as run_tuning

        with console.status("real track: tuning") as status:
            report = run_tuning(cfg, progress=log_progress(console, status))
        for arm, a in report["arms"].items():
            scores = ", ".join(f"×{s} {v['score']:.3f}" for s, v in a["variants"].items())
            console.print(f"{arm}: {scores}; chosen ×{a['chosen']:g}: {a['learning_rates']}")
        where = Path(cfg.out) / "tune" / "tuning.json"
        console.print(f"tuning: [bold]{where}[/bold]  ({time.perf_counter() - t0:.0f}s)")
        return
    with console.status("real track") as status:
        results = run_real_study(cfg, progress=log_progress(console, status))
    print_real_summary(console, results)
    console.print(f"report: [bold]{Path(cfg.out) / 'report.html'}[/bold]  ({time.perf_counter() - t0:.0f}s)")


def print_real_summary(console: Any, results: dict[str, Any]) -> None:
    """The headline table in the terminal."""
    from rich.table import Table

    from r1safe.study.real.report import HEADLINE

    table = Table(title="real track (95% intervals over prompts)")
    table.add_column("arm")
    for group, metric in HEADLINE[:6]:
        table.add_column(f"{metric}\n{group}", justify="right")
    for arm, a in results["arms"].items():
        cells = []
        for group, metric in HEADLINE[:6]:
            entry = a["table"].get(metric) or {}
            st = entry.get("all") if group == "all" else (entry.get("groups") or {}).get(group)
            lo, hi = (st.get("ci") or (st["value"], st["value"])) if st else (0.0, 0.0)
            cells.append("–" if not st else f"{100 * st['value']:.0f}% [{100 * lo:.0f}–{100 * hi:.0f}]")
        table.add_row(arm, *cells)
    console.print(table)
