"""The study's terminal summary: the main table and the verdict, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from r1safe.study.report import fmt_cell
from r1safe.study.table import COLUMNS

SHOWN = ("harm_id", "harm_held_out", "harm_reasoning", "over_refusal", "arithmetic", "mixing")


def print_summary(console: Console, results: dict[str, Any]) -> None:
    """Print the key columns per arm, then every verdict line."""
    labels = {c.key: c.label for c in COLUMNS}
    table = Table(title="r1safe study (95% intervals)")
    table.add_column("arm")
    for key in SHOWN:
        table.add_column(labels[key], justify="right")
    table.add_column("FLOPs", justify="right")
    for arm, cells in results["table"].items():
        flops = cells.get("flops")
        table.add_row(arm, *(fmt_cell(cells.get(k)) for k in SHOWN), f"{flops['value']:.2g}" if flops else "–")
    console.print(table)
    for line in results["verdict"]["axes"]:
        console.print(f"• {line['text']}")
    for claim in results["verdict"]["claims"]:
        console.print(f"• {claim['text']}")
