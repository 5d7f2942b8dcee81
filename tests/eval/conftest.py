"""Fixtures for the evaluation tests: the micro gym's model and a few gym samples."""

from __future__ import annotations

import os

import pytest

# Two cores shared with other work: one torch thread is far faster than two fighting ones.
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session", autouse=True)
def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def gym_dir(micro_gym) -> str:
    """The micro gym's folder (world, base model, proxy reward model)."""
    return str(micro_gym.root)


@pytest.fixture(scope="session")
def model_dir(micro_gym) -> str:
    """The micro gym's base model folder (a real, tiny, trained Qwen2 with the gym tokenizer)."""
    return str(micro_gym.model_dir)


@pytest.fixture(scope="session")
def world(micro_gym):
    return micro_gym.world
