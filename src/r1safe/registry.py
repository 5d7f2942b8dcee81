"""A small named registry, as open-r1 keeps its reward functions: name → factory.

Registries are filled at import time, by a decorator in the part's own module or by
``register_lazy(name, module)`` in the package that lists the parts, and built lazily: ``create``
calls only the factory that is asked for, and a lazy part's module is imported only then.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import typing
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
            made: T = getattr(importlib.import_module(module), attr)(**params)
            return made

        factory.__name__ = f"{attr}_{module.rsplit('.', 1)[-1]}"
        self.register(name)(factory)
        self._lazy[name] = (module, attr)

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name`` itself (a lazy one's module is imported now), for callers
        that check its signature or call it with positional arguments; unknown is a one-line ConfigError."""
        self._check_known(name)
        if name in self._lazy:
            module, attr = self._lazy[name]
            factory: Callable[..., T] = getattr(importlib.import_module(module), attr)
            return factory
        return self._factories[name]

    def create(self, name: str, **params: Any) -> T:
        """Build the entry ``name``; an unknown name or parameter is a one-line ConfigError that
        lists the valid ones (checked before the factory runs, so nothing heavy loads first)."""
        self._check_known(name)
        valid = self.params(name)
        unknown = [k for k in params if valid is not None and k not in valid]
        if unknown and valid is not None:
            raise ConfigError(f"{self.kind} {name!r}: unknown option {unknown[0]!r}{_did_you_mean(unknown[0], valid)}; "
                              f"its options: {', '.join(valid) or '(none)'}")
        try:
            return self._factories[name](**params)
        except TypeError as err:
            raise ConfigError(f"{self.kind} {name!r}: bad params {params}: {err}") from None

    def params(self, name: str) -> list[str] | None:
        """The keyword parameters entry ``name`` takes, read from its factory's signature (and, for a
        ``make(**params)`` that builds a class, from the class's ``__init__`` along its bases); None
        when they cannot be told."""
        return accepted_params(self.get(name))

    def _check_known(self, name: str) -> None:
        if name not in self._factories:
            raise ConfigError(f"unknown {self.kind} {name!r}{_did_you_mean(name, self.names())}; "
                              f"known: {', '.join(self.names())}")

    def names(self) -> list[str]:
        """The registered names, sorted (for messages and listings)."""
        return sorted(self._factories)

    def __iter__(self) -> Iterator[str]:
        """The registered names in the order they were registered (the order parts run in)."""
        return iter(list(self._factories))

    def __contains__(self, name: object) -> bool:
        return name in self._factories


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _named(func: Callable[..., Any], skip_first: bool = False) -> tuple[list[str], bool]:
    """(keyword parameter names, whether it also takes ``**kwargs``) of ``func``."""
    params = list(inspect.signature(func).parameters.values())[1 if skip_first else 0:]
    names = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    return names, any(p.kind is p.VAR_KEYWORD for p in params)


def accepted_params(factory: Callable[..., Any]) -> list[str] | None:
    """See :meth:`Registry.params`."""
    try:
        names, open_ended = _named(factory)
    except (TypeError, ValueError):
        return None
    if not open_ended:
        return names
    try:
        built = typing.get_type_hints(factory).get("return")
    except Exception:  # an annotation that does not resolve: the parameters cannot be told
        return None
    if not isinstance(built, type):
        return None
    for cls in built.__mro__:
        if "__init__" not in vars(cls):
            continue
        more, open_ended = _named(vars(cls)["__init__"], skip_first=True)
        names += [n for n in more if n not in names]
        if not open_ended:
            return names
        if cls is object:
            break
    return None
