"""Utility terms beyond pay and effort cost: inequity aversion and risk (M5, LEN's CARA term).

Utility of a candidate action = pay − (cost − intrinsic value) − inequity − risk premium, where

* inequity (Fehr & Schmidt 1999) = α · mean(max(others − own, 0)) + β · mean(max(own − others, 0))
  over the person's reference group (a stated list of peers, e.g. triangle mates), and
* the risk premium (CARA, certainty-equivalent form) = r/2 · variance of pay, with the variance
  learned from experienced and foregone pay (see :class:`sim.behavior.engine.Learner`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Preferences:
    """Per-person preference parameters, all arrays of shape ``(N,)``.

    Attributes:
        envy: Fehr–Schmidt α ≥ 0, disutility per unit of pay others earn above one's own.
        guilt: Fehr–Schmidt β ≥ 0 (β ≤ α in the original), per unit one earns above others.
        risk_aversion: CARA coefficient r ≥ 0 (1/money).
        reference: Indices of each person's reference group, shape ``(N, R)``; ``-1`` pads
            shorter groups. ``None`` means no reference group (inequity terms are zero).
    """

    envy: np.ndarray
    guilt: np.ndarray
    risk_aversion: np.ndarray
    reference: np.ndarray | None = None

    @classmethod
    def neutral(cls, n: int) -> Preferences:
        """Selfish, risk-neutral people: utility is pay minus net effort cost."""
        z = np.zeros(n)
        return cls(envy=z, guilt=z.copy(), risk_aversion=z.copy(), reference=None)

    @property
    def has_inequity(self) -> bool:
        """Whether any inequity term can be non-zero."""
        return self.reference is not None and bool((self.envy > 0).any() or (self.guilt > 0).any())

    @property
    def has_risk(self) -> bool:
        """Whether anyone is risk-averse."""
        return bool((self.risk_aversion > 0).any())


def inequity_penalty(
    own: np.ndarray,
    others: np.ndarray,
    valid: np.ndarray,
    envy: np.ndarray,
    guilt: np.ndarray,
) -> np.ndarray:
    """Fehr–Schmidt disutility of candidate pays against a reference group.

    Args:
        own: Candidate own pay, shape ``(N, *C)``.
        others: Reference pay, shape ``(N, R)`` (held fixed) or ``(N, *C, R)`` (when one's action
            moves others' pay, e.g. through a shared pool).
        valid: Which of the ``R`` reference slots are real people, shape ``(N, R)``.
        envy: α per person, shape ``(N,)``.
        guilt: β per person, shape ``(N,)``.

    Returns:
        Penalty (money) of shape ``(N, *C)``; zero for people with an empty reference group.
    """
    extra = own.ndim - 1
    if others.ndim == 2:
        others = others.reshape(others.shape[0], *([1] * extra), others.shape[1])
    mask = valid.reshape(valid.shape[0], *([1] * extra), valid.shape[1])
    diff = others - own[..., None]
    count = np.maximum(valid.sum(axis=1), 1).reshape(-1, *([1] * extra))
    ahead = np.where(mask, np.maximum(diff, 0.0), 0.0).sum(axis=-1) / count
    behind = np.where(mask, np.maximum(-diff, 0.0), 0.0).sum(axis=-1) / count
    shape = (-1, *([1] * extra))
    return envy.reshape(shape) * ahead + guilt.reshape(shape) * behind
