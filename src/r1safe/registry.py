"""A small named registry, as open-r1 keeps its reward functions: name → factory.

Registries are filled at import time, by a decorator in the part's own module or by
``register_lazy(name, module)`` in the package that lists the parts, and built lazily: ``create``
calls only the factory that is asked for, and a lazy part's module is imported only then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from r1safe.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories that build a ``T`` from keyword parameters."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._lazy: dict[str, tuple[str, str]] = {}

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
        self._lazy[name] = (module, attr)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name`` itself (a lazy one's module is imported now), for callers
        that check its signature or call it with positional arguments; unknown is a one-line ConfigError."""
        self._check_known(name)
        if name in self._lazy:
            module, attr = self._lazy[name]
            return getattr(importlib.import_module(module), attr)
        return self._factories[name]

    def create(self, name: str, **params: Any) -> T:
        """Build the entry ``name``; an unknown name or parameter is a one-line ConfigError."""
        self._check_known(name)
        try:
            return self._factories[name](**params)
        except TypeError as err:
            raise ConfigError(f"{self.kind} {name!r}: bad params {params}: {err}") from None

    def _check_known(self, name: str) -> None:
        if name not in self._factories:
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")

    def names(self) -> list[str]:
        """The registered names, sorted (for messages and listings)."""
        return sorted(self._factories)

    def __iter__(self) -> Iterator[str]:
        """The registered names in the order they were registered (the order parts run in)."""
        return iter(list(self._factories))

    def __contains__(self, name: object) -> bool:
        return name in self._factories
