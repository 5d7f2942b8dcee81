"""Arithmetic word problems with exact answers, generated: a capability check any model can be scored on.

One-step problems (a sum or difference of numbers up to 20, a product of one-digit numbers) in everyday
templates: sized so that a 135M instruct model solves about a third of them, where a gain or a loss shows
(two-digit sums with carries it almost never gets right). Drawn by
a seeded generator, so every ``seed`` gives the same problems and different seeds give disjoint-enough
sets for training, development and test (the real track keeps them apart by seed and by problem text).
``reference.answer`` is the exact answer as text, which the ``correctness`` judge and reward check.
"""

from __future__ import annotations

import random

from r1safe.records import Sample

NAMES = ("Tom", "Anna", "Ravi", "Mei", "Lucas", "Sara", "Omar", "Lena", "Yuki", "Ben", "Nora", "Ivan")
THINGS = ("apples", "books", "stickers", "marbles", "pencils", "coins", "cookies", "cards", "shells", "stamps")

ADD = (
    "{name} has {a} {thing} and gets {b} more. How many {thing} does {name} have now?",
    "A box holds {a} {thing}. Someone adds {b} {thing}. How many {thing} are in the box?",
    "{name} read {a} pages on Monday and {b} pages on Tuesday. How many pages did {name} read in all?",
    "What is {a} + {b}?",
)
SUB = (
    "{name} has {a} {thing} and gives away {b}. How many {thing} are left?",
    "A shelf had {a} {thing}. {b} were sold. How many {thing} are still on the shelf?",
    "What is {a} - {b}?",
)
MUL = (
    "{name} buys {a} bags with {b} {thing} in each bag. How many {thing} does {name} buy?",
    "There are {a} rows of chairs with {b} chairs in each row. How many chairs are there?",
    "What is {a} × {b}?",
)


def problem(rng: random.Random) -> tuple[str, int, str]:
    """(question, answer, operation) for one random problem."""
    op = rng.choice(("add", "sub", "mul"))
    name, thing = rng.choice(NAMES), rng.choice(THINGS)
    if op == "add":
        a, b = rng.randint(2, 20), rng.randint(2, 20)
        return rng.choice(ADD).format(name=name, thing=thing, a=a, b=b), a + b, op
    if op == "sub":
        a = rng.randint(5, 20)
        b = rng.randint(1, a - 1)
        return rng.choice(SUB).format(name=name, thing=thing, a=a, b=b), a - b, op
    a, b = rng.randint(2, 9), rng.randint(2, 9)
    return rng.choice(MUL).format(name=name, thing=thing, a=a, b=b), a * b, op


def load(n: int = 200, seed: int = 0, split: str = "arithmetic", exclude: frozenset[str] = frozenset(),
         path: str | None = None) -> list[Sample]:
    """``n`` distinct problems drawn with ``seed`` (none of whose text is in ``exclude``), split ``split``;
    category is the operation. ``path`` is accepted for the suite interface and must be None."""
    if path is not None:
        from r1safe.errors import ConfigError

        raise ConfigError("arithmetic is generated, not read from a file: pass it as `arithmetic`, no path")
    rng = random.Random(f"r1safe-arithmetic-{seed}")
    out: list[Sample] = []
    seen = set(exclude)
    while len(out) < n:
        question, answer, op = problem(rng)
        if question in seen:
            continue
        seen.add(question)
        out.append(Sample(id=f"{split}-{seed}-{len(out)}", prompt=[{"role": "user", "content": question}],
                          split=split, kind="benign", category=op, language="en",
                          reference={"dataset": "arithmetic", "license": "generated", "answer": str(answer)}))
    return out
