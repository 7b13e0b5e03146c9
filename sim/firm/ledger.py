"""The deal ledger and the product lines: plain arrays, no behaviour (imports nothing from sim).

Deals (S4, S11, S12, M8) arrive per account with a value and a set of product lines, pass three
gates — ATI, ATB, ATC — one a month; won deals are delivered and then collected. The ledger is a
growing struct of arrays; nothing loops over deals in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

# Deal stages, in order; a deal ends in exactly one terminal state (LOST or COLLECTED/WRITTEN_OFF).
ATI, ATB, ATC, WON, DELIVERED, COLLECTED, LOST, WRITTEN_OFF = range(8)
GATES = ("ati", "atb", "atc")


@dataclass(frozen=True)
class Lines:
    """Product lines.

    Attributes:
        names: Line names.
        margin: Gross margin rate per line.
        strategic: Whether each line is strategic (needs SR support multiplicatively).
    """

    names: tuple[str, ...]
    margin: np.ndarray
    strategic: np.ndarray

    @classmethod
    def from_params(cls, lines: Mapping[str, Any]) -> Lines:
        """Build from ``MarketParams.lines`` (name → object with ``margin`` and ``strategic``)."""
        names = tuple(lines)
        return cls(
            names=names,
            margin=np.array([lines[n].margin for n in names]),
            strategic=np.array([lines[n].strategic for n in names]),
        )

    def bits(self, mask: np.ndarray) -> np.ndarray:
        """Each bitmask's lines as 0/1 integers ``(len(mask), lines)``."""
        return (np.asarray(mask)[:, None] >> np.arange(len(self.names))) & 1

    def mask_margin(self, mask: np.ndarray) -> np.ndarray:
        """Value-weighted margin of deals whose lines are given as a bitmask (equal split)."""
        bits = self.bits(mask)
        return (bits * self.margin).sum(axis=1) / np.maximum(bits.sum(axis=1), 1)

    def mask_strategic(self, mask: np.ndarray) -> np.ndarray:
        """Whether a deal includes a strategic line."""
        bits = self.bits(mask)
        return (bits * self.strategic).sum(axis=1) > 0

    def mask_strategic_share(self, mask: np.ndarray) -> np.ndarray:
        """Share of a deal's value from strategic lines (equal split over its lines, as margin)."""
        bits = self.bits(mask)
        return (bits * self.strategic).sum(axis=1) / np.maximum(bits.sum(axis=1), 1)

    def mask_count(self, mask: np.ndarray) -> np.ndarray:
        """Number of lines in each deal."""
        bits = self.bits(mask)
        return bits.sum(axis=1)


class Deals:
    """A growing struct-of-arrays ledger of opportunities.

    Every field is an array over deals; :meth:`add` appends a block. Uniform draws for the three
    gates are taken when a deal is created, so a deal's fate differs across schemes only through
    what people do (common random numbers).
    """

    FIELDS: ClassVar[dict[str, Any]] = {
        "account": np.intp,
        "owner": np.intp,
        "value": float,
        "lines": np.int64,
        "strategic": bool,
        "integrated": bool,
        "margin_rate": float,
        "sr_need": float,
        "fr_need": float,
        "created": np.intp,
        "stage": np.int8,
        "discount": float,
        "booked": np.intp,
        "delivered": np.intp,
        "collected": np.intp,
        "late": bool,
        "support_ratio": float,
        "run_rate": bool,
        "u_ati": float,
        "u_atb": float,
        "u_atc": float,
        "u_late": float,
    "u_write_off": float,  # a hopeless receivable is written off when below write_off_prob
        "z_review": float,
        "sharpened": bool,
        "reviewed_out": bool,
        "u_timing": float,  # the AR controls this deal's timing when below market.timing_control
        "u_slip": float,    # a slipped deal is lost when below market.slip_loss
        "pulled": bool,     # closed a month before its natural close month
        "slipped": bool,    # held a month past its natural close month
        "tender": bool,     # of market.tender's stream: its rival is market.tender.competitor
    }

    def __init__(self, capacity: int = 1024) -> None:
        self.size = 0
        self._cap = capacity
        self.data = {k: np.zeros(capacity, dtype=t) for k, t in self.FIELDS.items()}

    def __getattr__(self, name: str) -> np.ndarray:
        data = self.__dict__.get("data")
        if data is not None and name in data:
            return data[name][: self.size]
        raise AttributeError(name)

    def add(self, **cols: np.ndarray) -> np.ndarray:
        """Append deals; unspecified fields take their defaults. Returns the new indices."""
        m = len(next(iter(cols.values())))
        while self.size + m > self._cap:
            self._cap *= 2
            for k, v in self.data.items():
                grown = np.zeros(self._cap, dtype=v.dtype)
                grown[: self.size] = v[: self.size]
                self.data[k] = grown
        sl = slice(self.size, self.size + m)
        for k in ("booked", "delivered", "collected"):
            self.data[k][sl] = -1
        for k, v in cols.items():
            self.data[k][sl] = v
        self.size += m
        return np.arange(sl.start, sl.stop)
