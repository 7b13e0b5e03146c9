"""docs/firm.md's peer-sanction table (issue 19): what the peer sanction does in the firm.

Size s (60 months), paired seeds (common random numbers), mean paired difference ± 95 % t
half-width. Each row switches the peer sanction on (``behavior.sanction.strength`` = κ, 0.5 as
in the reduced environment, committed before this script first ran) against off, with everything
else equal, under gain_sharing and under commission, in the silo and the iron-triangle firm.
The ablation of the mechanism is the switch itself; the ablation of its channel is commission in
the silo, where no plan is pooled (the sanction is levied on the pay of one's pool), so on and
off must be the same run
(the script says whether they are identical). A further ablation, own KPI of no value
(``firm.kpi_value`` 0), tests why the sanction moves SR/FR effort off help: the pool is funded on
profit, and a peer sanction makes everyone weigh what their effort does to the pool. The last
rows are the difference in differences: how much the sanction moves gain_sharing − commission.

Usage: ``python experiments/team_upside.py [--seeds 20] [--jobs 2] [--strength 0.5]`` (about
6 minutes on 2 cores at 20 seeds).
"""

from __future__ import annotations

from sim.paired import Arm, parser, print_block, print_did, run_arms, run_metrics

NO_KPI_VALUE = ("firm.kpi_value.rnd=0", "firm.kpi_value.supply_chain=0",
                "firm.kpi_value.support=0")
SCHEMES = ("gain_sharing", "commission")
ORGS = ("silo", "iron_triangle")
TASKS = {"rnd": ("own_kpi", "support", "knowledge"),
         "supply_chain": ("own_kpi", "delivery", "bid_support")}
METRICS = ("help_effort_sr_fr", "collaboration_index", "total_effort", "ar_volume_share",
           "avg_discount", "win_rate", "revenue",
           "strategic_mix", "operating_profit", "comp_cost", "pay_gini")


def arm(scheme: str, org: str, strength: float) -> Arm:
    """Overrides of one arm."""
    return (f"scheme={scheme}", f"org={org}", f"behavior.sanction.strength={strength}")


def one(args: tuple[Arm, int]) -> dict[str, float]:
    """One run's metrics."""
    return run_metrics(args[0], args[1], METRICS, TASKS)


def main() -> None:
    """Print each row's paired differences."""
    ap = parser(__doc__.splitlines()[0], 1900)
    ap.add_argument("--strength", type=float, default=0.5)
    ap.add_argument("--ablation-only", action="store_true",
                    help="only the ablation rows (own KPI of no value)")
    args = ap.parse_args()
    seeds = [args.seed + k for k in range(args.seeds)]
    keys = [*METRICS, *(f"{r}.{t}" for r, ts in TASKS.items() for t in ts)]
    arms = [] if args.ablation_only else [arm(s, o, x) for s in SCHEMES for o in ORGS
                                          for x in (args.strength, 0.0)]
    ablated = [(*arm("gain_sharing", o, x), *NO_KPI_VALUE) for o in ORGS
               for x in (args.strength, 0.0)]
    arms += ablated
    out = run_arms(one, arms, seeds, args.jobs)

    for org in ORGS:
        print_block(out, f"ablation, own KPI of no value (firm.kpi_value 0): sanction on − off, "
                    f"gain_sharing, {org}", (*arm("gain_sharing", org, args.strength),
                                             *NO_KPI_VALUE),
                    (*arm("gain_sharing", org, 0.0), *NO_KPI_VALUE), seeds, keys)
    if args.ablation_only:
        return
    for org in ORGS:
        for scheme in SCHEMES:
            print_block(out, f"sanction on − off: {scheme}, {org}", arm(scheme, org, args.strength),
                        arm(scheme, org, 0.0), seeds, keys)
        print_did(out, f"gain_sharing − commission with the sanction − without: {org}",
                  (arm("gain_sharing", org, args.strength), arm("commission", org, args.strength),
                   arm("gain_sharing", org, 0.0), arm("commission", org, 0.0)),
                  seeds, METRICS, "gap without")


if __name__ == "__main__":
    main()
