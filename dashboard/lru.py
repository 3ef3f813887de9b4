"""The one bounded cache of the app: the least recently used key is forgotten first.

Used for loaded models, the runs whose files are being tailed, built charts and the presenter's
browser sessions. Thread-safe: Gradio answers several browsers at once.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")
KEY_LOCKS = 64


class LRU(Generic[V]):
    def __init__(self, limit: int):
        self.limit = limit
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks = [threading.Lock() for _ in range(KEY_LOCKS)]
        """A key's maker holds one of these (by the key's hash), not the cache's lock."""

    def get(self, key: Hashable) -> V | None:
        """The value (now the most recently used), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)
        return value

    def get_or_make(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value, made when missing. A second caller of the same key waits for the first
        one's make (a model loads once, a chart is built once for a room of browsers); other
        keys stay usable meanwhile."""
        found = self.get(key)
        if found is not None:
            return found
        with self._key_locks[hash(key) % KEY_LOCKS]:
            found = self.get(key)
            return found if found is not None else self.put(key, make())

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
