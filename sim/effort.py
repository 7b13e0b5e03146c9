"""The effort model shared by every role and every study.

A person chooses an effort vector ``t`` over the role's ``K`` tasks, each ``t_k >= 0`` with
``sum(t) <= budget``; unused budget is leisure. The private cost of effort is convex,
``½ tᵀ C t`` (``C`` symmetric positive semi-definite; positive off-diagonals make tasks
substitutes), and intrinsic motivation ``aᵀ t`` (``a >= 0``, a scheme-independent trait) is
subtracted from it. Effort is measured in hours-equivalents of a month's budget (budget = 1 is a
full month), cost and intrinsic value in the same money unit as pay. With overtime
(:mod:`sim.firm.overtime`) the budget is the cap above normal hours, and the hours above
``normal`` add ``½·overtime_cost·(sum(t) − normal)²`` to the cost.

Actions live on a fine grid: every task's level is one of ``0, h, 2h, …, budget``. The learning
engine (``sim.behavior``) values candidate vectors that differ from the one played in one
coordinate; :meth:`EffortSpace.candidates` builds them, projected onto the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class EffortSpace:
    """Tasks, budget, grid and preferences over effort for a group of people.

    Attributes:
        tasks: Task names, length ``K``.
        budget: Effort budget per person and month (> 0).
        grid_step: Step of the per-task effort grid (> 0, at most ``budget``).
        cost: Cost matrix ``C``, shape ``(K, K)``, symmetric PSD; money per effort².
        intrinsic: Intrinsic value of effort ``a``, shape ``(K,)`` or ``(N, K)``; money per effort.
        normal: Normal hours, above which effort costs ``overtime_cost`` more (≤ ``budget``).
        overtime_cost: ``c`` of the overtime cost ``½·c·(sum(t) − normal)²₊`` (0: none).
    """

    tasks: tuple[str, ...]
    budget: float
    grid_step: float
    cost: np.ndarray
    intrinsic: np.ndarray = field(default_factory=lambda: np.zeros(1))
    normal: float = 1.0
    overtime_cost: float = 0.0

    def __post_init__(self) -> None:
        k = len(self.tasks)
        cost = np.atleast_2d(np.asarray(self.cost, dtype=float))
        if cost.shape != (k, k):
            raise ValueError(f"cost: expected a {k}x{k} matrix, got shape {cost.shape}")
        if not np.allclose(cost, cost.T):
            raise ValueError("cost: the matrix must be symmetric")
        if np.linalg.eigvalsh(cost).min() < -1e-12:
            raise ValueError("cost: the matrix must be positive semi-definite")
        if not self.budget > 0:
            raise ValueError(f"budget: must be > 0, got {self.budget}")
        if not 0 < self.grid_step <= self.budget:
            raise ValueError(f"grid_step: must be in (0, budget], got {self.grid_step}")
        if self.overtime_cost < 0 or (self.overtime_cost > 0
                                      and not 0 < self.normal <= self.budget):
            raise ValueError("overtime: the cost must be >= 0 and normal hours in (0, budget]")
        a = np.asarray(self.intrinsic, dtype=float)
        if a.size == 1:
            a = np.full(k, float(a.ravel()[0]))
        if a.shape[-1] != k or (a < 0).any():
            raise ValueError(f"intrinsic: expected {k} non-negative values per person")
        object.__setattr__(self, "cost", cost)
        object.__setattr__(self, "intrinsic", a)

    @property
    def n_tasks(self) -> int:
        """Number of tasks ``K``."""
        return len(self.tasks)

    @property
    def grid(self) -> np.ndarray:
        """Effort levels one task can take, ``0 … budget`` in steps of ``grid_step``."""
        n = int(np.floor(self.budget / self.grid_step + 1e-9)) + 1
        return np.arange(n) * self.grid_step

    def project(self, t: np.ndarray) -> np.ndarray:
        """Scale effort vectors (last axis = tasks) down onto the budget where they exceed it."""
        total = t.sum(axis=-1, keepdims=True)
        scale = np.where(total > self.budget, self.budget / np.maximum(total, 1e-300), 1.0)
        return t * scale

    def net_cost(self, t: np.ndarray) -> np.ndarray:
        """Cost of effort minus its intrinsic value, ``½ tᵀCt − aᵀt`` (money), over the last axis.

        Args:
            t: Effort vectors, shape ``(N, ..., K)``; ``intrinsic`` of shape ``(N, K)`` broadcasts
                along the first axis.
        """
        quad = 0.5 * ((t @ self.cost) * t).sum(axis=-1)  # a BLAS product, not a 3-way einsum
        a = self.intrinsic
        if a.ndim == 2:
            a = a.reshape(a.shape[0], *([1] * (t.ndim - 2)), a.shape[1])
        out = quad - (t * a).sum(axis=-1)
        if self.overtime_cost > 0:  # not added at all without overtime: the old runs' bits
            out = out + self._overtime(t.sum(axis=-1))
        return out

    def _overtime(self, total: np.ndarray) -> np.ndarray:
        """``½·c·(total − normal)²₊``: what the hours above normal cost on top of ``½tᵀCt``."""
        return 0.5 * self.overtime_cost * np.maximum(total - self.normal, 0.0) ** 2

    def candidate_net_cost(self, t: np.ndarray) -> np.ndarray:
        """``net_cost(candidates(t))`` without building the candidates, shape ``(N, K, G)``.

        Candidate ``[n, k, g]`` is ``s·o + g·e_k`` where ``o`` is ``t[n]`` with task ``k`` zeroed
        and ``s`` the scale that makes room in the budget, so
        ``½ xᵀCx − aᵀx = ½(s²·oᵀCo + 2sg·(Co)_k + g²·C_kk) − s·aᵀo − g·a_k``: O(N·K·(K+G)) work
        instead of O(N·K·G·K²). Equal to the direct form up to rounding.

        Args:
            t: Played effort, shape ``(N, K)``.
        """
        k = t.shape[1]
        grid = self.grid
        eye = np.eye(k, dtype=bool)
        others = np.where(eye[None, :, :], 0.0, t[:, None, :])  # (N, K, K): o per (n, k)
        room = np.maximum(self.budget - grid, 0.0)[None, None, :]
        used = others.sum(axis=-1)[:, :, None]
        scale = np.where(used > room, room / np.maximum(used, 1e-300), 1.0)  # (N, K, G)
        co = others @ self.cost  # (N, K, K): C·o (C symmetric)
        quad_o = (co * others).sum(axis=-1)[:, :, None]  # oᵀCo
        cross = np.diagonal(co, axis1=1, axis2=2)[:, :, None]  # (Co)_k
        diag = np.diag(self.cost)[None, :, None]
        g = grid[None, None, :]
        a = self.intrinsic if self.intrinsic.ndim == 2 else self.intrinsic[None, :]
        a_o = (others * a[:, None, :]).sum(axis=-1)[:, :, None]  # aᵀo
        a_k = a[:, :, None]
        quad = 0.5 * (scale**2 * quad_o + 2.0 * scale * g * cross + g**2 * diag)
        out = quad - (scale * a_o + g * a_k)
        if self.overtime_cost > 0:
            out = out + self._overtime(scale * used + g)  # the candidate's total effort
        return out

    def candidates(self, t: np.ndarray) -> np.ndarray:
        """Candidate effort vectors: the played vector with one task moved to each grid level.

        Args:
            t: Played effort, shape ``(N, K)``.

        Returns:
            Array of shape ``(N, K, G, K)``: entry ``[n, k, g]`` is ``t[n]`` with task ``k`` set
            to ``grid[g]``; when that exceeds the budget the *other* tasks are scaled down to make
            room, so every candidate is feasible.
        """
        k = t.shape[1]
        grid = self.grid
        eye = np.eye(k, dtype=bool)
        # The other tasks of candidate [n, k, g] do not depend on g before scaling: build them
        # once per (n, k) and broadcast over the grid.
        others = np.where(eye[None, :, :], 0.0, t[:, None, :])  # (N, K, K)
        room = np.maximum(self.budget - grid, 0.0)[None, None, :]
        used = others.sum(axis=-1)[:, :, None]  # (N, K, 1)
        scale = np.where(used > room, room / np.maximum(used, 1e-300), 1.0)  # (N, K, G)
        level = np.where(eye[None, :, None, :], grid[None, None, :, None], 0.0)
        return others[:, :, None, :] * scale[..., None] + level


def job_description_prior(
    tasks: Sequence[str], split: dict[str, float], level: float
) -> np.ndarray:
    """The scheme-independent starting effort of a new hire: the job description's split.

    Args:
        tasks: Task names of the role.
        split: Share of effort per task (missing tasks get 0); normalised to sum to 1.
        level: Total effort of a new hire (share of the budget actually worked).

    Returns:
        Effort vector of shape ``(K,)``.
    """
    shares = np.array([float(split.get(name, 0.0)) for name in tasks])
    if (shares < 0).any() or shares.sum() <= 0:
        raise ValueError("prior split: shares must be non-negative and not all zero")
    return level * shares / shares.sum()
