"""One-line checks of single config values: the field is named, and what is allowed.

A leaf module (it imports nothing from ``sim``), so that config validation and the firm's
parameters share one wording of every refusal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


class ParamError(ValueError):
    """A parameter is invalid; the message is one line naming the field and what is allowed."""


def is_number(value: Any) -> bool:
    """A real number (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: Any, key: str, low: float | None = None, high: float | None = None,
           low_open: bool = False) -> float:
    """A finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    ok = is_number(value) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        lo = "" if low is None else (f" > {low:g}" if low_open else f" ≥ {low:g}")
        hi = "" if high is None else f" and ≤ {high:g}"
        raise ParamError(f"{key}: must be a finite number{lo}{hi}, got {value!r}")
    return float(value)


def share(value: Any, key: str, low_open: bool = False) -> float:
    """A number in ``[0, 1]`` (``(0, 1]`` with ``low_open``)."""
    ok = is_number(value) and (0 < value <= 1 if low_open else 0 <= value <= 1)
    if not ok:
        raise ParamError(f"{key}: must be a number in {'(0, 1]' if low_open else '[0, 1]'}, "
                         f"got {value!r}")
    return float(value)


def integer(value: Any, key: str, minimum: int) -> int:
    """An integer ≥ ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParamError(f"{key}: must be an integer ≥ {minimum}, got {value!r}")
    return int(value)


def boolean(value: Any, key: str) -> bool:
    """``true`` or ``false``."""
    if not isinstance(value, bool):
        raise ParamError(f"{key}: must be true or false, got {value!r}")
    return value


def choice(value: Any, key: str, allowed: Sequence[str]) -> str:
    """One of ``allowed``."""
    if value not in allowed:
        raise ParamError(f"{key}: must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)
