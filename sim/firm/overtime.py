"""Overtime (issue 20, part 4): effort above a month's normal hours, at a rising cost, to a cap.

In the first model a month's effort could not exceed its normal hours (the effort budget is 1),
and realised AR effort sat at 0.994 of it: a bonus could move effort between tasks but never
raise it (Steenburgh 2008's lump-sum quota bonus raises effort). With ``firm.overtime.max`` above
1 a person may work up to that many normal months in a month; every hour above normal hours
costs more than the last: ``½·c·(T − 1)²`` is added to the private cost of an effort vector with
total ``T > 1`` (:class:`sim.effort.EffortSpace`, ``overtime_cost``). Nobody is told to work
longer: whether anyone does is what the learners find worth their pay.

``c`` is set per role from ``premium``: along the job description's split ``u`` (shares summing
to 1) the cost of working ``T`` normal months is ``½·T²·q`` with ``q = uᵀCu``, so an hour costs
``T·q`` at the margin. Requiring an hour at the cap to cost ``(1 + premium)`` times an hour at
normal hours, ``max·q + c·(max − 1) = (1 + premium)·q``, gives
``c = (1 + premium − max)·q / (max − 1)``. Overtime is unpaid: the roles are salaried, and
variable pay is what the plans pay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.firm.values import ParamError

#: A month's normal hours, in normal months (the first model's effort budget).
NORMAL = 1.0


@dataclass(frozen=True)
class OvertimeParams:
    """``firm.overtime``: the cap on a month's effort and the cost of the hours above normal.

    Attributes:
        max: Most effort a person can give in a month, in normal months; 1 is the first model
            (no overtime).
        premium: At the cap an hour costs ``1 + premium`` times an hour at normal hours (along
            the job description's split); must exceed ``max − 1`` so that the cost above normal
            hours rises faster than below them.
    """

    max: float = NORMAL
    premium: float = 0.5

    def __post_init__(self) -> None:
        if not NORMAL <= self.max <= 2.0:
            raise ParamError(f"firm.overtime.max: must be between 1 (no overtime) and 2 "
                             f"normal months, got {self.max:g}")
        if self.enabled and not self.premium > self.max - NORMAL:
            raise ParamError(f"firm.overtime.premium: must exceed firm.overtime.max − 1 "
                             f"({self.max - NORMAL:g}) so that overtime hours cost more, "
                             f"got {self.premium:g}")

    @classmethod
    def from_config(cls, r: Any) -> OvertimeParams:
        """Read and check ``firm.overtime`` from a ``sim.firm.params`` reader."""
        out = cls(max=r.number("max", NORMAL, 2.0), premium=r.number("premium", 0.0))
        r.done()
        return out

    @property
    def enabled(self) -> bool:
        """Whether effort may exceed normal hours."""
        return self.max > NORMAL

    def cost(self, cost: np.ndarray, prior: np.ndarray) -> float:
        """The coefficient ``c`` of ``½·c·(T − 1)²`` for a role (0 without overtime).

        Args:
            cost: The role's effort cost matrix ``C``, shape ``(K, K)``.
            prior: The job description's effort vector, shape ``(K,)`` (any positive total).

        Returns:
            ``(1 + premium − max)·uᵀCu / (max − 1)`` with ``u = prior / sum(prior)``.
        """
        if not self.enabled:
            return 0.0
        u = prior / prior.sum()
        return float((1.0 + self.premium - self.max) * (u @ cost @ u) / (self.max - NORMAL))
