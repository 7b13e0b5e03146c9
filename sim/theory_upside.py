"""Theory checks of the upside of shared pay (issue 19): teaching, peer sanction, conditioning.

Each runs the engine in a reduced environment with one mechanism switched on and compares the
learned mean policy with the target derived from the stated technology (docs/behavior.md, "The
upside of shared pay"): ``teaching`` (Hamilton, Nickerson & Owan 2003), ``sanction`` (Kandel &
Lazear 1992; Knez & Simester 2001) and ``conditioning`` (Che & Yoo 2001). Registered in
:data:`sim.theory_checks.CHECKS`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.behavior.conditioning import PeerConditioning
from sim.behavior.sanction import PeerSanction
from sim.plans import Plan, build_plan
from sim.teaching import Teaching
from sim.theory_base import (
    CheckResult,
    TheorySettings,
    check_point,
    learn_seeds,
    logit_mean_at_zero,
    pool_plan,
)

#: The sanction checks' technology (issue 19): κ = 0.5, each member watches one peer.
SANCTION = PeerSanction(strength=0.5, span=1)

#: The teaching check's team (issue 19): three people of ability 1 ∓ 0.5, τ = 1, knowledge kept
#: for the period only (retention 0), so that the gaps stay the innate ones.
TEACH_TEAM, TEACH_SPREAD, TEACH_TAU, TEACH_COST = 3, 0.5, 1.0, 1.0


def check_teaching(st: TheorySettings) -> list[CheckResult]:
    """Teaching: τ·v·Gᵢ/(n·c) under team pay, the no-incentive logit mean under a piece rate."""
    n, tau, c, v = TEACH_TEAM, TEACH_TAU, TEACH_COST, 1.0
    ability = st.baseline + TEACH_SPREAD * np.linspace(-1.0, 1.0, n)
    teams = 8
    teaching = Teaching(productivity=tau, retention=0.0)
    space = st.space(["output", "teach"], [[c, 0.0], [0.0, c]])
    gap = np.maximum(ability[:, None] - ability[None, :], 0.0).sum(axis=1) / (n - 1)
    zero = logit_mean_at_zero(c, st)
    team = pool_plan(v, 1.0)
    # With the peer sanction too, teaching also earns the approval of the teammates it enriches:
    # both tasks' incentive is scaled by 1 + κ·P(n)·(n − 1).
    lift = 1.0 + SANCTION.strength * float(SANCTION.noticed(n)) * (n - 1)
    arms: dict[str, tuple[Plan, float, dict[str, Any]]] = {
        "team": (team, 1.0 / n, {}),
        "team + sanction": (team, lift / n, {"sanction": SANCTION}),
        "piece rate": (build_plan({"kind": "commission", "measure": "output", "rate": v}),
                       1.0, {}),
    }
    out = []
    for arm, (plan, share, extra) in arms.items():
        e = learn_seeds(st, f"teaching {arm}", plan, space, n_people=n * teams, team_size=n,
                        baseline=np.tile(ability, teams), by_person=True, teaching=teaching,
                        **extra)
        e = e.reshape(e.shape[0], teams, n, 2).mean(axis=1)  # (seeds, rank, task)
        out.append(check_point("teaching", f"{arm} n={n}", "output effort", share * v / c,
                               e[:, :, 0].mean(axis=1), 0.02))
        for rank in range(n):
            target = tau * v * gap[rank] * share / c if arm != "piece rate" else 0.0
            point = f"{arm} ability={ability[rank]:g}"
            if target > 0:
                out.append(check_point("teaching", point, "teach effort", target, e[:, rank, 1],
                                       0.02))
            else:
                out.append(check_point("teaching", point, "teach effort", zero, e[:, rank, 1],
                                       0.10))
    return out


def check_sanction(st: TheorySettings) -> list[CheckResult]:
    """Peer sanction: effort v/(N·c)·(1 + κ·P(n)·(N − 1)), team pools and a firm-wide pool."""
    v, c, people = 1.0, 1.0, 24
    space = st.space(["output"], [[c]])
    out = []
    for pool, group in ((2, 2), (3, 3), (6, 6), (people, 2), (people, 3), (people, 6)):
        point = f"pool={pool} group={group}"
        e = learn_seeds(st, f"sanction {point}", pool_plan(v, 1.0), space, n_people=people,
                        team_size=pool, sanction=SANCTION, work_group=group)[:, 0]
        p = float(SANCTION.noticed(group))
        target = v / (pool * c) * (1.0 + SANCTION.strength * p * (pool - 1))
        out.append(check_point("sanction", point, "effort", target, e, 0.02))
    beta = 0.5
    plan = build_plan({"kind": "commission", "measure": "output", "rate": beta})
    e = learn_seeds(st, "sanction piece rate", plan, space, n_people=people, team_size=3,
                    sanction=SANCTION, work_group=3)[:, 0]
    out.append(check_point("sanction", f"piece rate β={beta} group=3", "effort", beta / c, e, 0.02))
    return out


#: The conditioning check's technology (issue 19): the others' mean effort binned at quarters of
#: an effort unit, next period's pay weighted 0.9 (assumptions, stated before the first run).
CONDITIONING = PeerConditioning(task="output", edges=(0.25, 0.5, 0.75, 1.0), weight=0.9)


def check_conditioning(st: TheorySettings) -> list[CheckResult]:
    """Peer conditioning: v/(n·c) in team pools and β/c under a piece rate (the static efforts)."""
    v, c, people = 1.0, 1.0, 24
    space = st.space(["output"], [[c]])
    out = []
    for n in (2, 3, 6):
        e = learn_seeds(st, f"conditioning team={n}", pool_plan(v, 1.0), space,
                        n_people=people, team_size=n, conditioning=CONDITIONING)[:, 0]
        out.append(check_point("conditioning", f"team pool n={n}", "effort", v / (n * c), e, 0.02))
    beta = 0.5
    plan = build_plan({"kind": "commission", "measure": "output", "rate": beta})
    e = learn_seeds(st, "conditioning piece rate", plan, space, n_people=people, team_size=3,
                    work_group=3, conditioning=CONDITIONING)[:, 0]
    out.append(check_point("conditioning", f"piece rate β={beta} group=3", "effort", beta / c, e,
                           0.02))
    return out

