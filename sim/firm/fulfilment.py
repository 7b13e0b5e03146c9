"""Fulfilment: delivery, cash collection, write-offs and the credits they give (phase 4).

Won deals are delivered ``delivery_lead`` months after booking, on time with a probability that
rises with FR delivery capacity against the group's load; late deliveries are complaints that
cost the account satisfaction and relationship (S13). Cash is collected after a delay that
grows when the relationship is poor; hopeless receivables are written off. What each AR is
credited at booking, delivery and collection (and what write-offs reverse) is returned for
payroll to price.

Kernels (:func:`on_time_probability`, :func:`collection_due`) are pure functions, tested with
worked examples on their own. Nothing here knows about pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.firm.ledger import COLLECTED, DELIVERED, WON, WRITTEN_OFF, Deals
from sim.firm.market import Accounts
from sim.firm.org import Org, fr_groups
from sim.firm.params import SUPPLY, MarketParams

#: Crediting events, in the order plans may name them.
EVENTS = ("booking", "delivery", "collection")


def on_time_probability(capacity: np.ndarray, load: np.ndarray, mp: MarketParams
                        ) -> np.ndarray:
    """Chance a group delivers on time: floor + (1 − floor) · min(1, capacity / load)."""
    return mp.on_time_floor + (1 - mp.on_time_floor) * np.minimum(1.0,
                                                                  capacity / np.maximum(load, 1))


def collection_due(rel: np.ndarray, u: np.ndarray, mp: MarketParams
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Months from delivery to cash, and which receivables are written off.

    Below ``slow_pay_relationship`` the customer pays ``slow_pay_delay`` months later; below
    ``write_off_relationship`` a receivable is written off with probability ``write_off_prob``
    (decided by the deal's uniform ``u``).

    Returns:
        ``(delay, write_off)``, both per receivable.
    """
    delay = mp.collection_delay + mp.slow_pay_delay * (rel < mp.slow_pay_relationship)
    return delay, (rel < mp.write_off_relationship) & (u < mp.write_off_prob)


@dataclass(frozen=True)
class Delivered:
    """What this month's deliveries did: late project deliveries (complaints)."""

    complaints: int


def deliver(deals: Deals, acc: Accounts, org: Org, e_delivery: np.ndarray, t: int,
            mp: MarketParams) -> Delivered:
    """Deliver deals booked ``delivery_lead`` months ago; late ones cause complaints (S13).

    A triangle delivers its own accounts' deals; the FR pool delivers the rest. Each group keeps
    ``delivery_capacity`` deliveries on time per effort-month of its FR seats' delivery work.

    Args:
        deals: The ledger (stages and dates change in place).
        acc: The accounts (satisfaction, relationship, revenue this year change in place).
        org: Who sits where (triangles deliver their own accounts' deals).
        e_delivery: The FR seats' delivery effort.
        t: The month.
        mp: Market parameters.
    """
    d = deals
    due = np.flatnonzero((d.stage == WON) & (d.booked + mp.delivery_lead <= t))
    if due.size == 0:
        return Delivered(complaints=0)
    project = due[~d.run_rate[due]]
    team = acc.team[d.account[project]]
    g = np.where(team >= 0, team, org.n_triangles)
    capacity = mp.delivery_capacity * np.bincount(fr_groups(org, org.idx[SUPPLY]),
                                                  weights=e_delivery,
                                                  minlength=org.n_triangles + 1)
    load = np.bincount(g, minlength=org.n_triangles + 1)
    late = d.u_late[project] > on_time_probability(capacity, load, mp)[g]
    d.data["late"][project] = late
    a = d.account[project[late]]
    np.subtract.at(acc.satisfaction, a, mp.complaint_satisfaction)
    np.subtract.at(acc.relationship, a, mp.complaint_relationship)
    np.clip(acc.satisfaction, 0.0, 1.0, out=acc.satisfaction)
    np.clip(acc.relationship, 0.0, 1.0, out=acc.relationship)
    on_time = project[~late]
    acc.satisfaction[d.account[on_time]] = np.minimum(
        1.0, acc.satisfaction[d.account[on_time]] + mp.on_time_satisfaction)
    d.data["stage"][due] = DELIVERED
    d.data["delivered"][due] = t
    real = due[~d.run_rate[due]]
    np.add.at(acc.revenue_ytd, d.account[real], d.value[real] * (1 - d.discount[real]))
    return Delivered(complaints=int(late.sum()))


def collect(deals: Deals, acc: Accounts, t: int, mp: MarketParams) -> None:
    """Collect cash after a delay, longer with a poor relationship; write off hopeless ones."""
    d = deals
    rel = np.where(d.account >= 0, acc.relationship[np.maximum(d.account, 0)], 1.0)
    delay, _ = collection_due(rel, d.u_write_off, mp)
    due = np.flatnonzero((d.stage == DELIVERED) & (d.delivered + delay <= t))
    _, write = collection_due(rel[due], d.u_write_off[due], mp)
    d.data["stage"][due] = COLLECTED
    d.data["collected"][due] = t
    d.data["stage"][due[write]] = WRITTEN_OFF


@dataclass(frozen=True)
class Credited:
    """Net revenue and margin credited to each AR by one event this month, ``(N_sales,)`` each."""

    revenue: np.ndarray
    margin: np.ndarray


@dataclass(frozen=True)
class Events:
    """What every crediting event credited this month, and what write-offs reversed."""

    booking: Credited
    delivery: Credited
    collection: Credited
    written_off: Credited

    def of(self, event: str) -> Credited:
        """The credits of a crediting event by name (one of :data:`EVENTS`)."""
        if event not in EVENTS:
            raise KeyError(event)
        out: Credited = getattr(self, event)
        return out


def credited(deals: Deals, t: int, n_sales: int) -> Events:
    """Revenue and margin credited to each AR at booking, delivery and collection this month."""
    d = deals
    net = d.value * (1 - d.discount)
    margin = d.value * (d.margin_rate - d.discount)

    def per_ar(hit: np.ndarray) -> Credited:
        o = d.owner[hit]
        return Credited(revenue=np.bincount(o, weights=net[hit], minlength=n_sales),
                        margin=np.bincount(o, weights=margin[hit], minlength=n_sales))

    out = {}
    for event, col in (("booking", d.booked), ("delivery", d.delivered),
                       ("collection", d.collected)):
        hit = (col == t) & (d.owner >= 0)
        if event == "collection":
            hit &= d.stage == COLLECTED
        out[event] = per_ar(hit)
    # Receivables written off this month: what a clawback plan takes back.
    lost = (d.collected == t) & (d.stage == WRITTEN_OFF) & (d.owner >= 0)
    return Events(**out, written_off=per_ar(lost))
