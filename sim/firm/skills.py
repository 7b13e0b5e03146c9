"""Own-KPI ability and knowledge transfer in the firm (issue 19; Hamilton, Nickerson & Owan 2003).

Off unless ``firm.teaching.enabled`` (then every ability is 1 and there is no teach task: the
first model). With it on, the technology of :mod:`sim.teaching`, on the firm's own KPI:

* **Ability.** Every SR, FR and support person has an innate ability ``a`` (drawn at hire from
  the ``ability`` stream, lognormal with mean 1 and sigma ``ability_spread``) and a taught stock
  ``k``; own-KPI output per effort-month is ``kpi_productivity × (a + k)``. ARs have no own KPI
  and neither teach nor learn.
* **Who teaches whom.** Teammates are the people of one's role in one's work group
  (:func:`sim.firm.units.work_groups`: an SR line pool, the FR pool, the support functions as
  one group; the SR or FR of a triangle has no teammate of its role and so nobody to teach).
* **Transfer.** Teaching effort ``s_i`` raises each teammate ``j``'s stock by
  ``τ · s_i · max(A_i − A_j, 0) / (n − 1)``, ``A = a + retention · k`` the ability left at the
  start of the month; the stock keeps ``retention`` of itself a month. What is taught counts
  this month.
* **What a candidate is worth.** One more unit of ``i``'s teaching raises the teammates' summed
  KPI by ``reach_i = τ / (n − 1) · Σ_j max(A_i − A_j, 0) · kpi_productivity · e_j`` (``e_j`` the
  teammate's own-KPI effort this month). Payroll hands it to the plans as the teammates' moved
  results (``Plan.counterfactual``'s ``rest``), so a plan that pays on one's own KPI pays nothing
  for it and a pool prices it by its rules (its share of the pool's gain, less what a split by
  contribution moves to the teammates whose results rose): no code path names a scheme. The
  floor of a teammate's KPI at 0 (a negative shock) is left out of ``reach``, a small
  approximation at ``firm.kpi_noise`` 0.1.

Kernels (:func:`gap_sums`, :func:`received`) are pure functions of arrays, one sort each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.org import Org
from sim.firm.params import ROLES, SALES, Params, TeachingParams


@dataclass(frozen=True)
class Taught:
    """What this month's teaching made.

    Attributes:
        ability: Each seat's own-KPI ability this month, after teaching ``(N,)`` (1 for ARs).
        reach: What one more unit of each seat's teaching adds to its teammates' summed KPI
            this month ``(N,)``.
    """

    ability: np.ndarray
    reach: np.ndarray


def _segments(group: np.ndarray, ability: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Order by (group, ability) and each sorted position's segment ``[start, end)``."""
    order = np.lexsort((ability, group))
    g = group[order]
    cut = np.flatnonzero(np.diff(g)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [g.size]])
    seg = np.repeat(np.arange(starts.size), ends - starts)
    return order, starts[seg], ends[seg]


def _within(group: np.ndarray, ability: np.ndarray, x: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    """Sorted by (group, ability): Σ x and Σ A·x over the less able and over the more able.

    Returns:
        ``(order, A sorted, (Σ x below, Σ A·x below, Σ x above, Σ A·x above))``, each ``(N,)``
        in sorted order (ties add 0 to every sum they enter).
    """
    order, start, end = _segments(group, ability)
    a, w = ability[order], x[order]
    cw = np.concatenate([[0.0], np.cumsum(w)])
    caw = np.concatenate([[0.0], np.cumsum(a * w)])
    pos = np.arange(a.size)
    return order, a, (cw[pos] - cw[start], caw[pos] - caw[start],
                      cw[end] - cw[pos + 1], caw[end] - caw[pos + 1])


def gap_sums(ability: np.ndarray, group: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``Σ_j max(A_i − A_j, 0) · w_j`` over the others ``j`` of each person's group ``(N,)``."""
    if ability.size == 0:
        return np.zeros(0)
    order, a, (below_w, below_aw, _, _) = _within(group, ability, weight)
    out = np.empty_like(a)
    out[order] = a * below_w - below_aw
    return np.maximum(out, 0.0)  # a sum of terms ≥ 0; differences of prefix sums may round below


def received(ability: np.ndarray, group: np.ndarray, teaching: np.ndarray) -> np.ndarray:
    """``Σ_i s_i · max(A_i − A_j, 0)`` over the others ``i`` of each ``j``'s group ``(N,)``."""
    if ability.size == 0:
        return np.zeros(0)
    order, a, (_, _, above_s, above_as) = _within(group, ability, teaching)
    out = np.empty_like(a)
    out[order] = above_as - a * above_s
    return np.maximum(out, 0.0)


class Skills:
    """Innate ability and the taught stock of every seat, and the month's teaching.

    Args:
        org: The seats.
        work_group: Work-group id of every seat ``(N,)`` (:func:`sim.firm.units.work_group_ids`).
        p: The firm's parameters (``firm.teaching``).
        rng: The ``ability`` stream (innate ability at start and at every hire).
    """

    def __init__(self, org: Org, work_group: np.ndarray, p: Params,
                 rng: np.random.Generator) -> None:
        self.tp: TeachingParams = p.firm.teaching
        self.rng = rng
        self.learns = org.role != SALES
        # Teammates: one's role within one's work group.
        _, ids, counts = np.unique(np.where(self.learns, work_group * 4 + org.role, -1),
                                   return_inverse=True, return_counts=True)
        offset = 0 if self.learns.all() else 1  # ARs' shared id −1 sorts first
        #: Teaching group of every seat, ``0 …``; −1 for ARs.
        self.group = np.where(self.learns, ids - offset, -1)
        self.peers = np.where(self.learns, counts[ids] - 1, 0).astype(float)  # n − 1 per seat
        self.per_peer = np.where(self.peers > 0,
                                 self.tp.productivity / np.maximum(self.peers, 1.0), 0.0)
        self.productivity = np.array([0.0, *(p.firm.kpi_productivity[r] for r in ROLES[1:])]
                                     )[org.role]
        self.innate = np.ones(org.n)
        self.innate[self.learns] = self._draw(int(self.learns.sum()))
        self.stock = np.zeros(org.n)

    def _draw(self, n: int) -> np.ndarray:
        """Innate abilities of ``n`` hires: lognormal, mean 1."""
        sigma = self.tp.ability_spread
        return self.rng.lognormal(-0.5 * sigma**2, sigma, n)

    def month(self, teaching: np.ndarray, own_effort: np.ndarray) -> Taught:
        """This month's teaching: stocks move, and each seat's reach.

        Args:
            teaching: Teaching effort per seat ``(N,)`` (0 for ARs).
            own_effort: Own-KPI effort per seat ``(N,)`` (0 for ARs).
        """
        kept = self.tp.retention * self.stock
        start = self.innate + kept
        rows, per_peer = self.learns, self.per_peer
        gained = np.zeros_like(start)
        gained[rows] = per_peer[rows] * received(start[rows], self.group[rows], teaching[rows])
        reach = np.zeros_like(start)
        reach[rows] = per_peer[rows] * gap_sums(start[rows], self.group[rows],
                                                (self.productivity * own_effort)[rows])
        self.stock = kept + gained
        return Taught(ability=self.innate + self.stock, reach=reach)

    def hire(self, quit: np.ndarray) -> None:
        """Seats refilled: a hire brings their own innate ability and no taught stock."""
        new = quit & self.learns
        if new.any():
            self.innate[new] = self._draw(int(new.sum()))
            self.stock[new] = 0.0
