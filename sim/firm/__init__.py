"""The key-account firm as a schedule of phases, one module per mechanism.

``params`` (typed parameters), ``ledger`` (deals, stages, lines), ``market`` (accounts and their
motion), ``org`` (seats, triangles, pools, tiering), ``pipeline`` (support, fit, gates, reviews,
timing), ``fulfilment`` (delivery, collection, credits), ``counterfactual`` (what each candidate
would have changed), ``payroll`` (measures, plans, pay), ``people`` (learners, learning,
attrition), ``record`` (logs), ``agents`` (Mesa views), ``model`` (``Firm`` and its ``step``).
docs/firm.md has the map of what each owns and may import; ``tests/test_firm_structure.py``
checks the import rules.

``Firm`` is imported lazily, so that ``sim.firm.params`` (config validation) does not import
Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.firm.params import RND, ROLES, SALES, SUPPLY, SUPPORT

if TYPE_CHECKING:
    from sim.firm.model import Firm

__all__ = ["RND", "ROLES", "SALES", "SUPPLY", "SUPPORT", "Firm"]


def __getattr__(name: str) -> Any:
    if name == "Firm":
        from sim.firm.model import Firm

        return Firm
    raise AttributeError(f"module 'sim.firm' has no attribute {name!r}")
