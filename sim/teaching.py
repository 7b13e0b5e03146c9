"""Knowledge transfer inside a team (Hamilton, Nickerson & Owan 2003): a ``teach`` task.

The technology, stated before any run (docs/behavior.md, "Knowledge transfer"):

* Each person has an ability ``A = a₀ + k``: innate productivity ``a₀`` (the baseline output) and
  a taught knowledge stock ``k`` (0 at the start).
* Teaching effort ``s_i`` of person i this period raises each teammate j's stock by
  ``τ · s_i · max(A_i − A_j, 0) / (n − 1)``: in proportion to the ability gap, spread over the
  n − 1 teammates; nobody learns from a less able colleague. ``τ`` (``productivity``) is what one
  unit of teaching effort — the effort that would have made one unit of output — transfers of
  the gap.
* The stock depreciates: a share ``retention`` of it is left a period later (knowledge
  forgetting; the default 0.75 a month is Argote, Beckman & Epple's 1990 estimate for
  production knowledge, 3.2 % of a year's stock left a year later). Gaps are measured on the
  ability left at the start of the period, before this period's teaching.
* What is taught this period already counts in this period's output, so a candidate teaching
  level is valued by what it adds to teammates' results now; the stock's later value is not
  anticipated (the learner values one period, like every other action in the reduced
  environments).

Teaching produces nothing of one's own: under a plan that pays on one's own output it is worth
only its cost; under shared pay it is worth one's share of the teammates' extra output. Nothing
here knows which plan is in force.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Teaching:
    """Knowledge-transfer technology.

    Attributes:
        productivity: τ ≥ 0, share of the ability gap one unit of teaching effort transfers
            (spread over the teammates).
        retention: Share of the knowledge stock left a period later, in [0, 1].
        task: Name of the teaching task in the effort space.
    """

    productivity: float = 0.5
    retention: float = 0.75
    task: str = "teach"

    def __post_init__(self) -> None:
        if not self.productivity >= 0:
            raise ValueError(f"teaching.productivity: must be ≥ 0, got {self.productivity}")
        if not 0 <= self.retention <= 1:
            raise ValueError(f"teaching.retention: must be in [0, 1], got {self.retention}")

    def gaps(self, ability: np.ndarray, team: int) -> np.ndarray:
        """Per person i and teammate j, ``max(A_i − A_j, 0) / (n − 1)``, as ``(T, n, n)``.

        Args:
            ability: Ability per person ``(N,)``; people of a team are consecutive.
            team: Team size ``n`` (all teams equal).
        """
        n = int(team)
        a = ability.reshape(-1, n)
        if n < 2:
            return np.zeros((a.shape[0], n, n))
        return np.maximum(a[:, :, None] - a[:, None, :], 0.0) / (n - 1)

    def transfer(self, gaps: np.ndarray, teach: np.ndarray) -> np.ndarray:
        """Knowledge each person gains this period from the teammates' teaching ``(N,)``.

        Args:
            gaps: :meth:`gaps` ``(T, n, n)``.
            teach: Teaching effort per person ``(N,)``.
        """
        t, n, _ = gaps.shape
        s = teach.reshape(t, n)
        return self.productivity * np.einsum("ti,tij->tj", s, gaps).reshape(-1)

    def marginal(self, gaps: np.ndarray) -> np.ndarray:
        """Each teammate's gain per unit of one's teaching, ``τ · gap``, as ``(N, n)``.

        Row i lists, for every member j of i's team (in team order), what one more unit of i's
        teaching adds to j's output this period (0 for i itself).
        """
        t, n, _ = gaps.shape
        return self.productivity * gaps.reshape(t * n, n)
