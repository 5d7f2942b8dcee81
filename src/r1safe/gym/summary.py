"""The table ``r1safe gym build`` prints: proxy accuracy and base-model rates per split."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def summary_table(report: dict[str, Any]) -> Table:
    """One row per split: proxy accuracy vs the oracle, and the base model's oracle rates."""
    table = Table(title=f"gym build {report['digest']}  ({report['parameters'] / 1e6:.2f}M parameters, "
                        f"{report['timings']['total_s']:.0f}s)")
    for col in ("split", "proxy acc.", "harmful answer", "refused", "arithmetic", "mixed reasoning", "format ok"):
        table.add_column(col, justify="right" if col != "split" else "left")
    for split, rm in report["reward_models"].items():
        base = report["base_model"].get(split, {})
        table.add_row(split, _pct(rm["accuracy"]), _pct(base.get("harmful_answer")), _pct(base.get("refused")),
                      _pct(base.get("correct")), _pct(base.get("mixed")), _pct(base.get("format_ok")))
    return table
