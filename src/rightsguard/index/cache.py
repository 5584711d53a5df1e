"""A small bounded least-recently-used cache, kept on the object that owns it (never at module
level), for the decoded texts, token streams and views that stay warm between queries."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most ``size`` values; the least recently used one is dropped first."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"LRU size must be at least 1, got {size}")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The cached value for ``key``, made with ``make()`` (and kept) when absent."""
        try:
            value = self._items[key]
        except KeyError:
            value = self._items[key] = make()
            if len(self._items) > self.size:
                self._items.popitem(last=False)
            return value
        self._items.move_to_end(key)
        return value

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
