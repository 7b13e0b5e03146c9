"""Diagnose deal-by-deal timing (issue 20), per calendar month and kind of decision.

How many deals were decided and moved, the mean value of moving against leaving, and how many
decisions were a first visit to the AR's decision state; docs/validation.md quotes its output.

Usage: python experiments/diagnose_deal_timing.py ARM [SEED], ARM one of accelerating, linear,
target_bonus, commission.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from sim.config import load_config
from sim.firm import Firm
from sim.firm import people as people_module
from sim.simulation import plain

ARMS = {
    "accelerating": ["experiment=validate_larkin",
                     "+scheme.plans.sales_commission.tiers=[[0,0.02],[800,0.05],[1200,0.08]]",
                     "scheme.plans.sales_commission.period=12", "market.timing_control=0.5"],
    "linear": ["experiment=validate_larkin", "scheme.plans.sales_commission.period=12",
               "market.timing_control=0.5"],
    "target_bonus": ["experiment=validate_oyer", "scheme=target_bonus"],
    "commission": ["scheme=commission"],
}


def main() -> None:
    """Run one arm and print the month-by-kind table."""
    arm = sys.argv[1] if len(sys.argv) > 1 else "accelerating"
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if arm not in ARMS:
        raise SystemExit(f"arm: one of {', '.join(ARMS)}, got {arm!r}")
    firm = Firm(plain(load_config([*ARMS[arm], f"seed={seed}"])))
    stats: dict[tuple[int, int], np.ndarray] = {}
    real = people_module.People.learn_timing
    month = [0]

    def learn(self: Any, acts: Any, now: np.ndarray, nxt: np.ndarray, decided: Any = None
              ) -> None:
        if decided is not None and decided.owner.size:
            value = (now + self.p.behavior.time_discount * nxt)[self.org.idx[0]]
            played = value[decided.owner, 0]
            turned = value[decided.owner, decided.column]
            gain = np.where(decided.moved, played - turned, turned - played)  # move − leave
            state = acts.states[0]
            for k, lr in enumerate(self.deal_learners):
                sel = decided.kind == k
                o = decided.owner[sel]
                s = stats.setdefault((month[0] % 12, k), np.zeros(6))
                s += [sel.sum(), decided.moved[sel].sum(), gain[sel].sum(),
                      (~lr._visited[o, state[o]]).sum(), acts.timing_move[o, k].sum(),
                      (gain[sel] > 0).sum()]
        real(self, acts, now, nxt, decided)

    people_module.People.learn_timing = learn  # type: ignore[method-assign]
    for t in range(firm.months):
        month[0] = t
        firm.step()
    print(f"{arm}, seed {seed}: month kind | decided, moved, mean gain of moving, first visits, "
          "mean P(move), share where moving pays")
    for (m, k), s in sorted(stats.items()):
        n = max(s[0], 1)
        print(f"{m + 1:2d} {k} | {int(s[0]):5d} {100 * s[1] / n:5.1f} % {s[2] / n:+8.3f} "
              f"{100 * s[3] / n:5.1f} % {s[4] / n:.3f} {s[5] / n:.2f}")


if __name__ == "__main__":
    main()
