"""Peer conditioning (Che & Yoo 2001): one's peers' help last period in one's decision state.

The technology, stated before any run (docs/behavior.md, "Peer conditioning"):

* **What is observed.** Each member of a work group of ``n`` sees the mean effort of the group's
  others on one task (``task``) last period; that level, binned by ``edges``, joins the plan's
  decision state, so the learner keeps separate attractions per bin (the engine's states).
* **What a candidate is worth.** Besides this period's pay, a candidate moves each peer's next
  decision state (the peer sees the candidate's level in the others' mean), and so the effort
  the peer plays next period: the peer's mean policy in the state the candidate sends them to,
  against the state the realised action sends them to. That change in the peers' output is
  priced by the plan as the teammates' moved results (``Plan.counterfactual``'s ``rest``) and
  weighted by ``weight`` (next period's pay). Plans that pay on one's own results ignore it, so
  under individual pay the link is worth nothing by construction, not by a rule about schemes.
* **What a peer is expected to do in a state they have not been in.** Their mean policy over the
  states they have been in (the engine's rule for unexplored states: neither feared nor
  coveted); people read the peers' current policies, as they read the plan (full information,
  like the foregone payoffs of δ = 1).

Derived (additive output, a pool ``v·Q`` split equally among ``n``, cost ``c·e²/2``): one's
marginal pay does not depend on the state, so at a fixed point where every state is visited
every state learns the same utility, every peer's policy is the same in every state and the
response is worth nothing — effort stays at ``v/(n·c)``. A state abandoned during learning keeps
its policy (it is never tested again), so effort above ``v/(n·c)`` can be sustained as a
self-confirming equilibrium at a bin edge (Fudenberg & Levine 1993): where that happens is a
property of the bins, not of the pay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PeerConditioning:
    """Peers' last-period effort on one task in the decision state, and their response valued.

    Attributes:
        task: The task whose peers' level is observed (the help task; in a one-task
            environment, the work itself).
        edges: Increasing bin edges of the others' mean level; bin ``b`` holds levels in
            ``[edges[b − 1], edges[b])``.
        weight: Weight of next period's pay in a candidate's value, in ``[0, 1]``.
    """

    task: str
    edges: tuple[float, ...]
    weight: float = 0.9

    def __post_init__(self) -> None:
        e = np.asarray(self.edges, dtype=float)
        if e.size == 0 or (np.diff(e) <= 0).any() or not np.isfinite(e).all():
            raise ValueError(f"conditioning.edges: must be increasing finite numbers, got "
                             f"{self.edges!r}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"conditioning.weight: must be in [0, 1], got {self.weight}")

    @property
    def n_bins(self) -> int:
        """Bins of the peers' level."""
        return len(self.edges) + 1

    def bin(self, level: np.ndarray) -> np.ndarray:
        """Bin of each observed level (any shape); a level within 1e-9 of an edge is on it.

        The others' mean is a sum of grid levels divided by ``n − 1``; rounding would otherwise
        put a mean exactly on an edge in the bin below it, depending on the order of the sum.
        """
        return np.searchsorted(np.asarray(self.edges, dtype=float), np.asarray(level) + 1e-9,
                               side="right")

    @staticmethod
    def peers(n_people: int, group: int) -> np.ndarray:
        """Each person's peers in consecutive work groups of ``group``, ``(N, group − 1)``."""
        rows = np.arange(n_people)
        start = (rows // group * group)[:, None]
        offs = np.arange(1, group)[None, :]
        return start + (rows[:, None] - start + offs) % group

    def observed(self, level: np.ndarray, group: int) -> np.ndarray:
        """Each person's bin of the others' mean level ``(N,)``; ``level`` is ``(N,)``."""
        n = level.size
        sums = level.reshape(-1, group).sum(axis=1).repeat(group)
        return self.bin((sums - level) / (group - 1)).reshape(n)

    def sent(self, level: np.ndarray, cand_level: np.ndarray, group: int) -> np.ndarray:
        """The bin each candidate sends each peer to, ``(N, group − 1, C)``.

        Args:
            level: Everyone's realised level this period ``(N,)``.
            cand_level: Each person's candidate levels ``(N, C)``.
            group: Work-group size.
        """
        peers = self.peers(level.size, group)
        sums = level.reshape(-1, group).sum(axis=1).repeat(group)  # (N,)
        # Peer j's others: the group less j, with one's level replaced by the candidate's.
        base = sums[peers] - level[peers] - level[:, None]  # (N, n − 1)
        return self.bin((base[:, :, None] + cand_level[:, None, :]) / (group - 1))
