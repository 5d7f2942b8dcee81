"""The study's terminal summary: the main table and the verdict, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from r1safe.study.report import fmt_cell
from r1safe.study.table import COLUMNS

SHOWN = ("harm_id", "harm_held_out", "refusal_held_out", "attempted", "other_harmful", "harm_reasoning", "helpful",
         "arithmetic", "incoherent", "mixing")


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
    for line in results["verdict"].get("working", []):
        console.print(f"• [bold red]{line}[/bold red]")
    for line in results["verdict"]["axes"]:
        console.print(f"• {line['text']}")
    for claim in results["verdict"]["claims"]:
        console.print(f"• {claim['text']}")


def print_tuning(console: Console, report: dict[str, Any]) -> None:
    """One row per (arm, learning-rate scale): the rule's parts and score, the chosen one marked."""
    table = Table(title=f"learning-rate tuning on development seeds {report['seeds']}")
    for col in ("arm", "lr ×", "refused · id", "helpful", "arithmetic", "score", ""):
        table.add_column(col, justify="left" if col == "arm" else "right")
    for arm, info in report["arms"].items():
        for scale, v in info["variants"].items():
            mark = "chosen" if float(scale) == info["chosen"] else ""
            table.add_row(arm, scale, *(f"{100 * v[k]:.0f}%" for k in ("refused_id", "helpful", "arithmetic")),
                          f"{v['score']:.3f}", mark)
    console.print(table)
