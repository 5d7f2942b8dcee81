"""The one registry API: decorator and lazy entries, ``get`` for the factory itself, registration order."""

from __future__ import annotations

import sys

import pytest

from r1safe.errors import ConfigError
from r1safe.registry import Registry


def test_get_gives_the_decorated_factory_and_iteration_keeps_registration_order() -> None:
    reg: Registry[object] = Registry("part")

    @reg.register("zeta")
    class Zeta:
        def __init__(self, size: int = 1) -> None:
            self.size = size

    reg.register_lazy("alpha", "json", "dumps")
    assert reg.get("zeta") is Zeta
    assert list(reg) == ["zeta", "alpha"] and reg.names() == ["alpha", "zeta"]
    assert reg.create("zeta", size=3).size == 3


def test_get_imports_a_lazy_entry_only_when_asked() -> None:
    reg: Registry[object] = Registry("part")
    reg.register_lazy("colors", "colorsys", "rgb_to_hsv")
    sys.modules.pop("colorsys", None)
    assert "colors" in reg and "colorsys" not in sys.modules
    factory = reg.get("colors")
    assert factory.__module__ == "colorsys" and factory(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)


def test_unknown_names_and_bad_params_are_one_line_config_errors() -> None:
    reg: Registry[object] = Registry("part")
    reg.register("one")(dict)
    with pytest.raises(ConfigError, match=r"^unknown part 'two'; known: one$"):
        reg.get("two")
    with pytest.raises(ConfigError, match=r"^unknown part 'two'; known: one$"):
        reg.create("two")
    with pytest.raises(ValueError, match="registered twice"):
        reg.register_lazy("one", "json")


def test_stages_monitors_and_rewards_are_registries() -> None:
    from r1safe.train.monitors import MONITORS
    from r1safe.train.recipe import STAGE_KINDS
    from r1safe.train.rewards import REWARDS
    from r1safe.train.rewards.format import Format
    from r1safe.train.stages import STAGES

    assert list(STAGES) == list(STAGE_KINDS)
    assert STAGES.get("sft").__module__ == "r1safe.train.stages.sft"
    assert list(MONITORS) == ["reward_hacking", "divergence", "language_mixing", "drift"]
    assert REWARDS.get("format") is Format
