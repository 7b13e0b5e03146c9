"""Later payoffs (issue 20, part 5): what hunting and relationship effort bring after this month.

A month's counterfactuals (:mod:`sim.firm.counterfactual`) value what a candidate changes *this
month*. Hunting pays nothing this month (a prospect joins ``market.hunting_lag`` months later)
and relationship effort pays this month only through the deals at ATC now, though the stock it
builds decays by ``market.relationship_decay`` a month. With ``behavior.value_later_payoffs``
an AR's effort candidate also carries its expected later changes, discounted by
``behavior.time_discount`` a month and counted over ``behavior.later_horizon`` months, as changes
in this month's credited measures (what a plan pays for them is then the plan's own business):

* **Hunting.** A candidate that moves hunting effort by Δh wins ``market.hunting_rate`` · Δh
  more prospects on average (the Poisson mean of :func:`sim.firm.market.move`). They are
  credited as ``new_accounts`` at their joining month, discounted: ``δ^lag`` each. Once joined,
  each books what one of the AR's own owned accounts booked this month (their measures this
  month over their owned accounts: this month stands in for the later ones, as it does for deal
  timing) for ``later_horizon`` months from its joining month, each discounted to today.
  :class:`Later` keeps this as a *share* of the AR's own monthly measures, so that every
  credited measure and every crediting event (booking, delivery, collection) gets it.
* **Relationship.** A candidate moves the relationship of the AR's accounts at ATC this month
  by Δr; the difference is taken to decay by ``1 − relationship_decay`` a month (an upper
  bound: where the AR keeps giving attention it carries at 1 − decay − gain·attention). Each
  later month's ATC deals are this month's again (the stand-in), and a deal's win chance moves
  with the relationship by the ATC gate's slope ``w_rel · P · (1 − P)`` at its played
  probability (the linear term: Δr is a few hundredths). Months 1 … ``later_horizon`` after
  this one count, discounted.

What is left out, each a stated simplification: a new account starts with a lower relationship
than the AR's average account and dilutes the attention the others get; relationship also moves
opportunity arrivals, the earlier gates and (with closeness fit) how close the solution is;
later payoffs are priced as if credited in this period (a plan whose period ends before they
arrive prices them at this period's rate). With the switch off (the first model) nothing here
runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Later:
    """Each AR effort candidate's discounted later changes, against what was played.

    Arrays are ``(N_sales, K·G)``, over the same candidates as ``Deltas.sales``.

    Attributes:
        accounts: Expected prospects won, each discounted to its joining month (``new_accounts``).
        share: Discounted account-months they book over the horizon, over the AR's owned
            accounts: the later change in every credited measure is this times the AR's own
            measure this month.
        revenue: Later net bookings from the relationship built (discounted).
        margin: Their margin.
    """

    accounts: np.ndarray
    share: np.ndarray
    revenue: np.ndarray
    margin: np.ndarray


def annuity(delta: float, start: int, months: int) -> float:
    """Σ δ^k for k = start … start + months − 1: the present value of one a month."""
    k = np.arange(start, start + months)
    return float(np.sum(delta ** k))


def hunting(d_hunt: np.ndarray, owned: np.ndarray, rate: float, lag: int, delta: float,
            horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected discounted prospects and their account-months' share, per hunting change.

    Args:
        d_hunt: Each candidate's hunting effort minus the played one ``(N_sales, K·G)``.
        owned: Accounts each AR owns this month ``(N_sales,)``.
        rate: Prospects won per effort-month of hunting (``market.hunting_rate``).
        lag: Months from winning a prospect to its joining (``market.hunting_lag``).
        delta: Monthly discount factor (``behavior.time_discount``).
        horizon: Months a joined account's bookings count (``behavior.later_horizon``).

    Returns:
        ``accounts``: rate · Δh · δ^lag; ``share``: rate · Δh · Σ_{k=lag}^{lag+horizon−1} δ^k
        over the AR's owned accounts (0 for an AR who owns none: nothing to stand in).
    """
    won = rate * d_hunt
    per_account = np.where(owned > 0, 1.0 / np.maximum(owned, 1), 0.0)[:, None]
    return won * delta ** lag, won * annuity(delta, lag, horizon) * per_account


def relationship(d_rel: np.ndarray, owner: np.ndarray, p_win: np.ndarray, net: np.ndarray,
                 margin: np.ndarray, n_sales: int, w_rel: float, decay: float, delta: float,
                 horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Later bookings and margin from the relationship each candidate builds, per AR.

    Args:
        d_rel: Per ATC deal, each candidate's relationship minus the played one ``(D, K·G)``.
        owner: The deals' ARs ``(D,)``.
        p_win: Their ATC pass probability as played ``(D,)``.
        net: Their net value if won, ``value · (1 − discount)`` ``(D,)``.
        margin: Their margin if won, ``value · (margin_rate − discount)`` ``(D,)``.
        n_sales: ARs.
        w_rel: The ATC gate's relationship weight.
        decay: ``market.relationship_decay``.
        delta: ``behavior.time_discount``.
        horizon: ``behavior.later_horizon``.

    Returns:
        Σ over the AR's deals of slope · Δr · (net, margin) · Σ_{k=1}^{horizon} (δ(1 − decay))^k,
        with slope = w_rel · P · (1 − P).
    """
    weight = annuity(delta * (1 - decay), 1, horizon)
    dp = (w_rel * p_win * (1 - p_win))[:, None] * d_rel * weight
    rev = np.zeros((n_sales, d_rel.shape[1]))
    mar = np.zeros_like(rev)
    np.add.at(rev, owner, dp * net[:, None])
    np.add.at(mar, owner, dp * margin[:, None])
    return rev, mar


def credit(ce: dict[str, np.ndarray], base: dict[str, np.ndarray], lt: Later,
           sales: np.ndarray, money: tuple[tuple[str, str], ...],
           fraction: np.ndarray | None = None) -> None:
    """Add the later payoffs to the effort candidates' measures of one crediting event, in place.

    A new account books like one of the AR's own accounts this month: each money measure gains
    the AR's own measure this month times ``share``, plus the relationship's later bookings (net
    revenue or margin, as the measure is made of); ``new_accounts`` gains the prospects.

    Args:
        ce: Candidate measures ``(N, M)`` (the money measures and ``new_accounts`` writable).
        base: Realised measures this month ``(N,)``.
        lt: The later payoffs.
        sales: The ARs' rows.
        money: Each money measure and what it is made of (``payroll.MONEY``).
        fraction: With value-added crediting, each person's attributed share of the margin they
            change (``units.Credit.fraction``); ``None`` without it.
    """
    ks = lt.share.shape[1]
    made = {"revenue": lt.revenue, "margin": lt.margin}
    for key, src in money:
        ce[key][sales, :ks] += base[key][sales][:, None] * lt.share + made[src]
    ce["new_accounts"][sales, :ks] += lt.accounts
    if fraction is not None:  # an AR keeps its attributed share of the later margin
        va = np.array(ce["value_added"], dtype=float)
        va[sales, :ks] += fraction[sales][:, None] * (base["margin"][sales][:, None] * lt.share
                                                      + lt.margin)
        ce["value_added"] = va
