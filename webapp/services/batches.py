"""Long lists sent to the database a page at a time: `IN (…)` lookups and multi-row inserts."""
from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

CHUNK = 500  # ids in one IN (…): a few queries per 500 rows, never one per row


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
