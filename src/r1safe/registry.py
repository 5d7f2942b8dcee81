"""A small named registry, as open-r1 keeps its reward functions: name → factory.

Registries are filled at import time by decorators, and built lazily: ``create`` calls only the
factory that is asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from r1safe.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories that build a ``T`` from keyword parameters."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator that records ``factory`` under ``name``."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory
            return factory

        return decorate

    def register_lazy(self, name: str, module: str, attr: str = "make") -> None:
        """Record ``name`` as ``module.attr``, imported only when ``name`` is first created, so a
        registry can list parts whose heavy dependencies (torch, httpx, vllm) are not loaded yet."""

        def factory(**params: Any) -> T:
            return getattr(importlib.import_module(module), attr)(**params)

        factory.__name__ = f"{attr}_{module.rsplit('.', 1)[-1]}"
        self.register(name)(factory)

    def create(self, name: str, **params: Any) -> T:
        """Build the entry ``name``; an unknown name or parameter is a one-line ConfigError."""
        if name not in self._factories:
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
        try:
            return self._factories[name](**params)
        except TypeError as err:
            raise ConfigError(f"{self.kind} {name!r}: bad params {params}: {err}") from None

    def names(self) -> list[str]:
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories
