"""The study's terminal summary: the main table and the verdict, with rich."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

#: The columns shown in the terminal, with short labels (the report has every column).
SHOWN = {"harm_id": "complied id", "harm_held_out": "complied held-out", "refusal_held_out": "refused held-out",
         "attempted": "attempted", "other_harmful": "neither", "harm_reasoning": "harm in think",
         "helpful": "helpful", "arithmetic": "sums right", "incoherent": "incoherent", "mixing": "mixing"}


def _short(cell: dict[str, Any] | None) -> str:
    """``42 [31–55]``: a rate in whole percent with its interval."""
    if cell is None:
        return "–"
    return f"{100 * cell['value']:.0f} [{100 * cell['ci'][0]:.0f}–{100 * cell['ci'][1]:.0f}]"


def print_summary(console: Console, results: dict[str, Any]) -> None:
    """Print the key columns per arm (%, 95% intervals), then every verdict line."""
    table = Table(title="r1safe study (%, 95% intervals; every column in report.html)")
    table.add_column("arm")
    for label in SHOWN.values():
        table.add_column(label, justify="right")
    table.add_column("FLOPs", justify="right")
    for arm, cells in results["table"].items():
        flops = cells.get("flops")
        table.add_row(arm, *(_short(cells.get(k)) for k in SHOWN), f"{flops['value']:.2g}" if flops else "–")
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
