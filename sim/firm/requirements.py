"""Requirements, hand-offs and integration: how close a solution is to what the customer wants.

Issue 17 (``market.solution_fit=closeness``; docs/firm.md, "Requirements and integration").
Each deal carries the customer's requirement on each of its product lines, hidden from the
firm. What the firm proposes on line ``l`` misses it by an error made of two independent parts
(they add in squares: each is its own aspect of the requirement):

* the account manager's: ``market.requirement_noise · (1 − relationship) · z_l``, which falls as
  the relationship grows;
* the hand-off's, in a silo, on a line whose part someone other than the AR designs (an SR part
  on a strategic line, FR on every line of an integrated deal): ``org.handoff_noise · η_l``,
  times ``1 − I``, where ``I`` is the deal's *integration*: the share of the hand-off loss the
  people on the deal repair by working it together. ``I`` is the weakest of the AR's
  coordination ratio (integrated deals) and the deal's weakest line support, so integration
  benefits the whole deal and the weakest line limits it. In a triangle the members share the
  AR's signal: no hand-off error.

A line's closeness is ``exp(−err²/2)`` (a Gaussian of the requirement's own scale); a
solution's closeness is its weakest line's (``market.complementary_fit``) or the lines' mean.
The fit gap is the distance ``sqrt(Σ_l err_l²)``. The requirement's own level never matters,
only the distance from it, so :class:`Requirements` keeps the error draws ``z`` and ``η`` per
deal and line, drawn when a deal arrives from their own streams (``requirements``, and
``tender_requirements`` for the tender stream), so that every other draw is the same with or
without the mechanism. Nothing here knows about pay; the kernels
are pure functions of arrays, tested with worked examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import Deals, Lines


class Requirements:
    """The requirement error draws of every deal in the ledger, per product line.

    Arrays grow by doubling, like the ledger's; the properties show the rows of the deals so
    far.

    Attributes:
        lines: The market's product lines.
        n_lines: How many.
        size: Deals covered so far (the ledger's size at the last :meth:`extend`).
    """

    def __init__(self, lines: Lines, capacity: int = 1024) -> None:
        self.lines, self.n_lines, self.size = lines, len(lines.names), 0
        self._data = self._empty(capacity)

    def _empty(self, capacity: int) -> dict[str, np.ndarray]:
        return {"z2": np.zeros((capacity, self.n_lines)),
                "eta2": np.zeros((capacity, self.n_lines)),
                "gap": np.full(capacity, np.nan), "integration": np.full(capacity, np.nan)}

    @property
    def z2(self) -> np.ndarray:
        """The AR's standardised error squared ``(deals, lines)``, 0 on lines not in the deal."""
        return self._data["z2"][: self.size]

    @property
    def eta2(self) -> np.ndarray:
        """The hand-off's standardised error squared, likewise."""
        return self._data["eta2"][: self.size]

    @property
    def gap(self) -> np.ndarray:
        """Each deal's fit gap when it last met a gate (NaN before)."""
        return self._data["gap"][: self.size]

    @property
    def integration(self) -> np.ndarray:
        """Each deal's integration at its last gate where a hand-off had to be repaired, or NaN."""
        return self._data["integration"][: self.size]

    def extend(self, deals: Deals, rng: np.random.Generator, rng_tenders: np.random.Generator
               ) -> None:
        """Draw the errors of the deals added to the ledger since the last call.

        Arrivals (and the one story tender) draw from ``rng``; tenders of the stream, whose
        number depends on who owns which key account, from ``rng_tenders``; run-rate orders
        (no lines) draw nothing. So every arrival keeps its draws under every scheme and org
        (common random numbers).
        """
        m = deals.size - self.size
        if m <= 0:
            return
        if deals.size > self._data["gap"].size:
            grown = self._empty(max(2 * self._data["gap"].size, deals.size))
            for k, v in self._data.items():
                grown[k][: self.size] = v[: self.size]
            self._data = grown
        new = np.arange(self.size, deals.size)
        self.size = deals.size
        lines = deals.lines[new] > 0
        stream = deals.tender[new] & lines
        for rows, gen in ((new[lines & ~stream], rng), (new[stream], rng_tenders)):
            if rows.size:
                draws = gen.standard_normal((rows.size, 2, self.n_lines))
                bits = self.lines.bits(deals.lines[rows])
                self._data["z2"][rows] = bits * draws[:, 0] ** 2
                self._data["eta2"][rows] = bits * draws[:, 1] ** 2

    def record(self, open_: np.ndarray, gap: np.ndarray, integ: np.ndarray) -> None:
        """The open deals' fit gap and integration this month (their last is at decision)."""
        self._data["gap"][open_] = gap
        self._data["integration"][open_] = integ


@dataclass(frozen=True)
class Errors:
    """The month's requirement errors of the open deals (arrays over open positions).

    Attributes:
        ar2: The AR's squared error per line at relationship 0, ``requirement_noise² · z²``.
        handoff2: The hand-off's squared error per line, ``handoff_noise² · η²`` on a silo
            deal's lines that are handed off (0 elsewhere).
        n_lines: Lines per deal.
        coordination: The AR's coordination ratio on integrated deals (1 on the others).
        handed: Whether any of a deal's lines is handed off (a silo deal with a support part).
    """

    ar2: np.ndarray
    handoff2: np.ndarray
    n_lines: np.ndarray
    coordination: np.ndarray
    handed: np.ndarray


def handed_off(bits: np.ndarray, strategic_lines: np.ndarray, integrated: np.ndarray,
               needs_sr: bool, team: np.ndarray) -> np.ndarray:
    """Lines whose part someone other than the AR designs, on silo deals ``(deals, lines)``.

    An SR part on every strategic line (when strategic lines need SR), FR on every line of an
    integrated deal; none on a triangle's deal (its members share the AR's signal).
    """
    sr = bits * (strategic_lines[None, :] & needs_sr)
    part = np.maximum(sr, bits * integrated[:, None])
    return part * (team < 0)[:, None]


def integration(coordination: np.ndarray, support: np.ndarray) -> np.ndarray:
    """The share of the hand-off loss repaired: min(1, coordination ratio, weakest support)."""
    return np.clip(np.minimum(coordination, support), 0.0, 1.0)


def squared_errors(ar2: np.ndarray, handoff2: np.ndarray, relationship: np.ndarray,
                   integ: np.ndarray) -> np.ndarray:
    """Squared error per line: ``(1 − rel)² · ar2 + (1 − I)² · handoff2`` (broadcasting).

    ``relationship`` and ``integ`` carry one value per deal (and candidate) on their last axis
    but one, so a trailing lines axis is added to them.
    """
    rel = np.asarray(relationship)[..., None]
    i = np.asarray(integ)[..., None]
    return (1.0 - rel) ** 2 * ar2 + (1.0 - i) ** 2 * handoff2


def closeness(err2: np.ndarray, n_lines: np.ndarray, complementary: bool) -> np.ndarray:
    """A solution's closeness to the requirement: its weakest line's, or the lines' mean.

    A line's closeness is ``exp(−err²/2)``; lines not in the deal have error 0 (closeness 1),
    which leaves the minimum as it is and is taken out of the mean.
    """
    line = np.exp(-0.5 * err2)
    if complementary:
        return line.min(axis=-1)
    width = line.shape[-1]
    n = np.maximum(np.asarray(n_lines, dtype=float), 1.0)
    return (line.sum(axis=-1) - (width - n)) / n


def solution(ar2: np.ndarray, handoff2: np.ndarray, n_lines: np.ndarray, relationship: np.ndarray,
             coordination: np.ndarray, support: np.ndarray, complementary: bool
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integration, squared errors per line and closeness of deals (broadcasting).

    The one path from the month's errors to closeness, for the deals as played and for every
    candidate of the counterfactuals.
    """
    integ = integration(coordination, support)
    err2 = squared_errors(ar2, handoff2, relationship, integ)
    return integ, err2, closeness(err2, n_lines, complementary)


def fit_gap(err2: np.ndarray) -> np.ndarray:
    """Distance between the requirement and the proposed solution: ``sqrt(Σ_l err_l²)``."""
    return np.sqrt(err2.sum(axis=-1))


def errors(req: Requirements, deals: Deals, lines: Lines, open_: np.ndarray, team: np.ndarray,
           coordination: np.ndarray, requirement_noise: float, handoff_noise: float,
           needs_sr: bool) -> Errors:
    """The open deals' requirement errors this month (before relationship and integration)."""
    bits = lines.bits(deals.lines[open_]).astype(float)
    integ = deals.integrated[open_]
    off = handed_off(bits, lines.strategic, integ, needs_sr, team)
    return Errors(ar2=requirement_noise ** 2 * req.z2[open_],
                  handoff2=handoff_noise ** 2 * off * req.eta2[open_],
                  n_lines=bits.sum(axis=1), coordination=np.where(integ, coordination, 1.0),
                  handed=np.asarray(off.any(axis=1)))
