"""The micro study's settings, shared by the study tests (imported by name: pytest puts this folder on the path)."""

from r1safe.gym.build import micro_config
from r1safe.study.config import StudyConfig


def micro_study_config(tmp_path) -> StudyConfig:
    """The study at toy length on the micro gym, writing into ``tmp_path / "study"``."""
    return StudyConfig(
        gym=micro_config(), out=str(tmp_path / "study"), samples=1, limit=2, bootstrap=50,
        train_overrides=["scale=0.05", "monitors.probe.per_split=1", "monitors.probe.max_new_tokens=24"],
    )


def measured(table):
    """A study table without its wall times (what must not depend on how the work was spread)."""
    return {arm: {k: v for k, v in cells.items() if k != "wall_s"} for arm, cells in table.items()}
