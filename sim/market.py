"""The key-account market: accounts, product lines, competitors, and the deal ledger.

Accounts and deals are numpy arrays (struct of arrays); nothing loops over them in Python.

* **Accounts** have a heavy-tailed wallet (monthly spend potential), a relationship strength that
  decays without attention and builds with focused attention past a fixed cost per account (so
  focus pays, S2), a satisfaction hit by late deliveries (S13), the product lines they need, and
  a competitor whose strength drifts and can reverse (S11).
* **Deals** (S4, S11, S12, M8) arrive per account with a value and a set of product lines, and
  pass three gates — ATI, ATB, ATC — one a month; won deals are delivered and then collected.
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
    def from_config(cls, cfg: Mapping[str, Any]) -> Lines:
        """Build from the ``market.lines`` mapping."""
        names = tuple(cfg)
        return cls(
            names=names,
            margin=np.array([float(cfg[n]["margin"]) for n in names]),
            strategic=np.array([bool(cfg[n]["strategic"]) for n in names]),
        )

    def mask_margin(self, mask: np.ndarray) -> np.ndarray:
        """Value-weighted margin of deals whose lines are given as a bitmask (equal split)."""
        bits = (mask[:, None] >> np.arange(len(self.names))) & 1
        return (bits * self.margin).sum(axis=1) / np.maximum(bits.sum(axis=1), 1)

    def mask_strategic(self, mask: np.ndarray) -> np.ndarray:
        """Whether a deal includes a strategic line."""
        bits = (mask[:, None] >> np.arange(len(self.names))) & 1
        return (bits * self.strategic).sum(axis=1) > 0

    def mask_strategic_share(self, mask: np.ndarray) -> np.ndarray:
        """Share of a deal's value from strategic lines (equal split over its lines, as margin)."""
        bits = (mask[:, None] >> np.arange(len(self.names))) & 1
        return (bits * self.strategic).sum(axis=1) / np.maximum(bits.sum(axis=1), 1)

    def mask_count(self, mask: np.ndarray) -> np.ndarray:
        """Number of lines in each deal."""
        bits = (mask[:, None] >> np.arange(len(self.names))) & 1
        return bits.sum(axis=1)


class Accounts:
    """Account arrays.

    Args:
        n: Number of accounts.
        cfg: ``market`` config.
        lines: Product lines.
        rng: The market stream.
    """

    def __init__(self, n: int, cfg: Mapping[str, Any], lines: Lines, rng: np.random.Generator):
        self.n = n
        self.wallet = rng.lognormal(float(cfg["wallet_log_mean"]), float(cfg["wallet_log_sd"]), n)
        needs = rng.random((n, len(lines.names))) < float(cfg["need_prob"])
        needs[np.arange(n), rng.integers(0, len(lines.names), n)] = True
        self.needs = (needs * (1 << np.arange(len(lines.names)))).sum(axis=1)
        self.relationship = np.full(n, float(cfg["relationship_start"]))
        self.satisfaction = np.full(n, 0.8)
        self.competitor = rng.normal(0.0, 0.3, n)
        # How each unit (one SR pool per product line, the FR pool) perceives each account's
        # share of wallet: the basis of per-unit tiering (S1). Drawn once.
        self.unit_view = rng.lognormal(0.0, float(cfg["unit_view_spread"]),
                                       (n, len(lines.names) + 1))
        self.owner = np.full(n, -1, dtype=np.intp)
        self.tier_a = np.zeros(n, dtype=bool)
        self.team = np.full(n, -1, dtype=np.intp)  # iron triangle serving the account, or -1
        self.revenue_ytd = np.zeros(n)
        self.revenue_last_year = np.zeros(n)


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
        "z_review": float,
        "sharpened": bool,
        "reviewed_out": bool,
        "u_timing": float,  # the AR controls this deal's timing when below market.timing_control
        "u_slip": float,    # a slipped deal is lost when below market.slip_loss
        "pulled": bool,     # closed a month before its natural close month
        "slipped": bool,    # held a month past its natural close month
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
