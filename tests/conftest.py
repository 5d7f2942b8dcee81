"""Test-wide settings: nothing may reach a model hub, and builds go to a per-session cache."""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def micro_gym(tmp_path_factory: pytest.TempPathFactory):
    """A micro gym build shared by every test that needs a real (tiny) trained model."""
    from r1safe.gym.build import build_gym, micro_config

    return build_gym(micro_config(), root=tmp_path_factory.mktemp("gym"))
