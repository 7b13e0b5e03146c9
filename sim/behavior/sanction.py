"""Mutual monitoring and peer sanction (Kandel & Lazear 1992; Knez & Simester 2001).

The technology, stated before any run (docs/behavior.md, "Peer sanction"):

* **Who observes whom.** People work in *work groups* (a team, a triangle, an account team),
  which may be smaller than the pool that pays them. Each member watches one peer at a time
  (``span`` peers, default 1, picked at random among the work group's others) each period, so a
  given peer is watched by a given colleague with probability ``q = min(1, span / (n − 1))``
  and one's action is *noticed* by at least one colleague with probability
  ``P(n) = 1 − (1 − q)^(n − 1)``. Observation is of the action's effect on the pooled result;
  it needs nobody outside the work group. P(2) = 1, P(3) = 0.75, P(6) ≈ 0.672, P(∞) = 1 − 1/e.
* **What a sanction costs the sanctioned.** A noticed action brings the colleagues'
  disapproval — or approval — worth ``strength`` (κ) times the pay that action took from (or
  gave to) *everyone else who shares the pool*: the colleagues speak for the pool, as in
  Kandel & Lazear's peer-pressure function and Knez & Simester's account of work groups under a
  firm-wide bonus. In expectation a candidate's sanction is ``κ · P(n) · Δ(others' pay)``; with
  ``κ · P = 1`` a person internalises the whole externality of shared pay, with ``κ = 0`` none.
* **What it costs the sanctioner.** Nothing (``ψ = 0``): disapproval is a norm, expressed
  without a cost that would need its own incentive (a costly sanction is a second-order public
  good, which this technology deliberately leaves out).

Where one's action moves nobody else's pay (individual plans), there is nothing to sanction:
the term is zero by construction, not by a rule about schemes. The derived effort in an equal
split of ``v·Q`` among a pool of ``N`` with work groups of ``n``:
``e* = v/(N·c) · (1 + κ · P(n) · (N − 1))`` (``sim.theory_upside``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PeerSanction:
    """Peer sanction in work groups.

    Attributes:
        strength: κ ≥ 0, the share of the harm done to the pool's others that a noticed person
            feels as disapproval (money per money).
        span: Peers each member watches per period (≥ 1).
    """

    strength: float = 0.5
    span: int = 1

    def __post_init__(self) -> None:
        if not self.strength >= 0:
            raise ValueError(f"sanction.strength: must be ≥ 0, got {self.strength}")
        if int(self.span) != self.span or self.span < 1:
            raise ValueError(f"sanction.span: must be an integer ≥ 1, got {self.span}")

    def noticed(self, group_size: np.ndarray | int) -> np.ndarray:
        """Probability ``P(n)`` that at least one colleague notices one's action ``(·)``."""
        n = np.asarray(group_size, dtype=float)
        others = np.maximum(n - 1.0, 0.0)
        q = np.minimum(1.0, self.span / np.maximum(others, 1.0))
        return np.where(others > 0, 1.0 - (1.0 - q) ** others, 0.0)

    def utility(self, peer_delta: np.ndarray, group_size: np.ndarray) -> np.ndarray:
        """Expected sanction term added to each candidate's utility.

        Args:
            peer_delta: Change in the others' total pay under each candidate, ``(N, ...)``
                (``Plan.peer_counterfactual``).
            group_size: Size of each person's work group ``(N,)``.

        Returns:
            ``κ · P(n) · peer_delta``, same shape as ``peer_delta``.
        """
        p = self.strength * self.noticed(group_size)
        return p.reshape(-1, *([1] * (peer_delta.ndim - 1))) * peer_delta
