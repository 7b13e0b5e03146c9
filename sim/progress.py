"""Progress on a terminal: a bar on stderr when it is a terminal, plain iteration otherwise.

Every long loop of the package (replications, figures, sensitivity runs) goes through
:func:`progress`, so logs and captured output stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int | None = None, label: str = "",
             unit: str = "it") -> Iterator[T]:
    """Iterate over ``items``, with a progress bar (tqdm, which Mesa brings) on a terminal.

    Args:
        items: What to iterate over.
        total: How many items (when ``items`` has no length).
        label: What is counted, shown before the bar.
        unit: The unit of one item.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=label, unit=unit, leave=False)
