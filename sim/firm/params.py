"""The firm's parameters, typed and read once from the config (docs/parameters.md has sources).

Every leaf of the ``market``, ``firm``, ``org``, ``process``, ``tiering`` and ``behavior`` groups
(and two calibration numbers) is read into frozen dataclasses and checked; a value out of range,
of the wrong type or no setting at all is refused with one line naming the field. Mechanisms
receive these objects; nothing reads the raw config inside a month. It imports from ``sim`` only
``values`` and ``overtime``: config validation uses it without importing the model.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np

from sim.firm.overtime import OvertimeParams
from sim.firm.values import ParamError, boolean, choice, integer, number, share

#: Roles of the firm (DOMAIN.md): AR, SR, FR and support functions, in array order.
ROLES: tuple[str, ...] = ("sales", "rnd", "supply_chain", "support")
SALES, RND, SUPPLY, SUPPORT = range(4)
#: The tasks each role's mechanisms read by name. A config may list them in another order.
TASKS: dict[str, tuple[str, ...]] = {
    "sales": ("volume", "strategic", "hunting", "relationship", "coordination"),
    "rnd": ("own_kpi", "support", "knowledge"),
    "supply_chain": ("own_kpi", "delivery", "bid_support"),
    "support": ("own_kpi", "service"),
}
#: Tasks that help others (the ``help`` measure), per role index.
HELP_TASKS: dict[int, tuple[str, ...]] = {SALES: ("coordination",), RND: ("support", "knowledge"),
                                           SUPPLY: ("delivery", "bid_support"),
                                           SUPPORT: ("service",)}
#: Measures every plan may read, per person and month (payroll credits them).
MEASURES = ("revenue", "margin", "profit", "team_revenue", "kpi", "help", "new_accounts",
            "value_added")
#: The measures that are money (thousands), as opposed to counts and KPI indices.
MONEY_MEASURES = ("revenue", "margin", "profit", "team_revenue")
#: Org designs, each read as the switch it is: whether tier-A accounts get dedicated teams.
DESIGNS: dict[str, bool] = {"silo": False, "iron_triangle": True}
TIERING_MODES = ("by_unit", "company")
ALLOCATIONS, STAFFING = ("capped", "fill"), ("one_each", "workload")  # docs/firm.md
#: How triangle members are paid (issue 18): a gain-sharing pool unit, a scorecard, own plans.
TRIANGLE_PAY = ("pool", "scorecard", "none")
SOLUTION_FITS = ("assigned", "closeness")  # docs/firm.md, "Requirements and integration"
GATE_NAMES = ("ati", "atb", "atc")
GATE_TERMS = ("bias", "relationship", "fit", "credibility", "price")
MAX_LINES = 30  #: a deal's product lines are a bitmask in an int64


class _Reader:
    """Reads the leaves of one config mapping and refuses what is missing or never read."""

    def __init__(self, node: Any, where: str) -> None:
        if not isinstance(node, Mapping):
            raise ParamError(f"{where}: must be a mapping, got {node!r}")
        self.node, self.where, self.seen = node, where, set[str]()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}"

    def get(self, name: str) -> Any:
        if name not in self.node:
            raise ParamError(f"{self.key(name)}: required")
        self.seen.add(name)
        return self.node[name]

    def number(self, name: str, low: float | None = None, high: float | None = None,
               low_open: bool = False) -> float:
        return number(self.get(name), self.key(name), low, high, low_open)

    def share(self, name: str, low_open: bool = False) -> float:
        return share(self.get(name), self.key(name), low_open)

    def integer(self, name: str, minimum: int) -> int:
        return integer(self.get(name), self.key(name), minimum)

    def optional_integer(self, name: str, minimum: int) -> int | None:
        value = self.get(name)
        return None if value is None else integer(value, self.key(name), minimum)

    def boolean(self, name: str) -> bool:
        return boolean(self.get(name), self.key(name))

    def choice(self, name: str, allowed: Sequence[str]) -> str:
        return choice(self.get(name), self.key(name), allowed)

    def sub(self, name: str) -> _Reader:
        return _Reader(self.get(name), self.key(name))

    def per_role(self, name: str, read: Any) -> dict[str, Any]:
        """``read(reader_or_value, key)`` for every role, in role order; no other keys."""
        node = self.sub(name)
        out = {role: read(node, role) for role in ROLES}
        node.done()
        return out

    def done(self) -> None:
        """Refuse a key nothing read (a misspelling or a ``+key`` no mechanism uses)."""
        extra = [str(k) for k in self.node if str(k) not in self.seen]
        if extra:
            allowed = ", ".join(sorted(self.seen)) or "none"
            raise ParamError(f"{self.key(sorted(extra)[0])}: no such setting; allowed: {allowed}")


def _spec(read: str, *args: Any, **kwargs: Any) -> Any:
    """A field read by ``_Reader.<read>(name, *args, **kwargs)``: its range, where declared."""
    return field(metadata={"read": (read, args, kwargs)})


def _read_fields(cls: type, r: _Reader) -> dict[str, Any]:
    """Every field of ``cls`` declared with :func:`_spec`, read and checked."""
    out = {}
    for f in fields(cls):
        if "read" in f.metadata:
            read, args, kwargs = f.metadata["read"]
            out[f.name] = getattr(r, read)(f.name, *args, **kwargs)
    return out


# -- the groups -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A product line: gross margin rate and whether it is strategic (needs SR support)."""

    margin: float
    strategic: bool


@dataclass(frozen=True)
class Gate:
    """Logit weights of one LTC gate: bias, relationship, fit, credibility, price (discount)."""

    bias: float
    relationship: float
    fit: float
    credibility: float
    price: float


@dataclass(frozen=True)
class Shock:
    """A demand shock: from ``month`` on (``None``: never), arrivals and run-rate × ``demand``."""

    month: int | None
    demand: float


@dataclass(frozen=True)
class Tender:
    """Large all-line tenders (S4): one at ``month``, a stream of ``per_month`` a month."""

    month: int | None
    value_months: float
    competitor: float
    per_month: float


@dataclass(frozen=True)
class MarketParams:
    """The key-account market, deals, delivery and cash (``configs/market``).

    Units: thousands per month, months, shares. Ranges are checked by :meth:`from_config`.
    """

    lines: dict[str, Line]
    gates: dict[str, Gate]
    shock: Shock
    tender: Tender
    n_accounts: int | None = _spec("optional_integer", 1)
    prospect_share: float = _spec("share")
    wallet_log_mean: float = _spec("number")
    wallet_log_sd: float = _spec("number", 0.0)
    relationship_start: float = _spec("share")
    relationship_decay: float = _spec("share")
    relationship_gain: float = _spec("number", 0.0)
    attention_fixed_cost: float = _spec("number", 0.0)
    competitor_persistence: float = _spec("share")
    competitor_noise: float = _spec("number", 0.0)
    competitor_sd: float = _spec("number", 0.0)
    satisfaction_start: float = _spec("share")
    deal_rate: float = _spec("share")
    deal_months_mean: float = _spec("number", 0.0, low_open=True)
    need_prob: float = _spec("share")
    sr_need: float = _spec("number", 0.0)
    fr_need: float = _spec("number", 0.0)
    strategic_needs_sr: bool = _spec("boolean")
    complementary_fit: bool = _spec("boolean")
    handoff: float = _spec("share")
    solution_fit: str = _spec("choice", SOLUTION_FITS)
    requirement_noise: float = _spec("number", 0.0)
    unit_view_spread: float = _spec("number", 0.0)
    max_discount: float = _spec("share", low_open=True)
    timing_control: float = _spec("share")
    pull_discount: float = _spec("share")
    pull_discount_wins: bool = _spec("boolean")
    slip_loss: float = _spec("share")
    volume_productivity: float = _spec("number", 0.0)
    volume_exponent: float = _spec("number", 0.0, low_open=True)
    run_rate_margin: float = _spec("share")
    hunting_rate: float = _spec("number", 0.0)
    hunting_lag: int = _spec("integer", 1)
    hunted_relationship: float = _spec("share")
    delivery_lead: int = _spec("integer", 0)
    delivery_capacity: float = _spec("number", 0.0)
    on_time_floor: float = _spec("share")
    on_time_satisfaction: float = _spec("share")
    complaint_satisfaction: float = _spec("share")
    complaint_relationship: float = _spec("share")
    collection_delay: int = _spec("integer", 0)
    slow_pay_relationship: float = _spec("share")
    slow_pay_delay: int = _spec("integer", 0)
    write_off_relationship: float = _spec("share")
    write_off_prob: float = _spec("share")
    opex_per_head: float = _spec("number", 0.0)

    @classmethod
    def from_config(cls, node: Any) -> MarketParams:
        """Read and check ``market``."""
        r = _Reader(node, "market")
        lines_node = r.sub("lines")
        if not lines_node.node or len(lines_node.node) > MAX_LINES:
            raise ParamError(f"market.lines: give 1 to {MAX_LINES} product lines, each "
                             f"{{margin: 0…1, strategic: true|false}}, got {lines_node.node!r}")
        lines = {}
        for name in lines_node.node:
            ln = lines_node.sub(str(name))
            lines[str(name)] = Line(margin=ln.share("margin"), strategic=ln.boolean("strategic"))
            ln.done()
        lines_node.done()
        gates_node = r.sub("gates")
        gates = {}
        for g in GATE_NAMES:
            gn = gates_node.sub(g)
            # A discount is offered at ATC only: the earlier gates have no price weight.
            terms = GATE_TERMS if g == "atc" else GATE_TERMS[:-1]
            gates[g] = Gate(**{k: gn.number(k) for k in terms}, **(
                {} if g == "atc" else {"price": 0.0}))
            gn.done()
        gates_node.done()
        sh = r.sub("shock")
        shock = Shock(month=sh.optional_integer("month", 0), demand=sh.number("demand", 0.0))
        sh.done()
        td = r.sub("tender")
        tender = Tender(month=td.optional_integer("month", 0), competitor=td.number("competitor"),
                        value_months=td.number("value_months", 0.0, low_open=True),
                        per_month=td.number("per_month", 0.0))
        td.done()
        out = cls(**_read_fields(cls, r), lines=lines, gates=gates, shock=shock, tender=tender)
        r.done()
        return out

    @functools.cached_property
    def gate_weights(self) -> np.ndarray:
        """Gate weights as an array: rows ATI, ATB, ATC; columns :data:`GATE_TERMS`."""
        return np.array([[getattr(self.gates[g], k) for k in GATE_TERMS] for g in GATE_NAMES])

    @property
    def negative_gate_weight(self) -> bool:
        """Whether any gate weight (bias aside) is negative: outcomes may then fall with support."""
        return any(getattr(g, k) < 0 for g in self.gates.values() for k in GATE_TERMS[1:])


@dataclass(frozen=True)
class RateRaise:
    """The year-end pay-raise policy (S6, M6): off unless ``enabled``."""

    enabled: bool
    trigger: float
    step: float


@dataclass(frozen=True)
class TeachingParams:
    """Knowledge transfer (issue 19, ``firm.teaching``, :mod:`sim.firm.skills`): off unless on."""

    enabled: bool = False
    productivity: float = 0.5
    retention: float = 0.75
    ability_spread: float = 0.25
    prior: float = 0.05

    @classmethod
    def from_config(cls, r: _Reader) -> TeachingParams:
        """Read and check ``firm.teaching``."""
        out = cls(enabled=r.boolean("enabled"), productivity=r.number("productivity", 0.0),
                  retention=r.share("retention"), ability_spread=r.number("ability_spread", 0.0),
                  prior=r.number("prior", 0.0, 0.5))
        r.done()
        return out


#: The task knowledge transfer adds to the roles with an own KPI (``firm.teaching``).
TEACH = "teach"


@dataclass(frozen=True)
class FirmParams:
    """People, tasks, preferences, attrition and the knowledge stock (``configs/firm``)."""

    share: dict[str, float]
    n: dict[str, int | None]
    tasks: dict[str, tuple[str, ...]]
    prior: dict[str, dict[str, float]]
    intrinsic: dict[str, dict[str, float]]
    rate_raise: RateRaise
    kpi_productivity: dict[str, float]
    kpi_value: dict[str, float]
    teaching: TeachingParams
    overtime: OvertimeParams
    prior_level: float = _spec("share", low_open=True)
    cost: float = _spec("number", 0.0, low_open=True)
    substitution: float = _spec("share")
    intrinsic_spread: float = _spec("number", 0.0)
    envy: float = _spec("number", 0.0)
    guilt: float = _spec("number", 0.0)
    outside_option_share: float = _spec("number", 0.0, low_open=True)
    quit_base: float = _spec("share")
    quit_slope: float = _spec("number", 0.0)
    pay_smoothing: float = _spec("share", low_open=True)
    leaver_relationship_kept: float = _spec("share")
    kpi_noise: float = _spec("number", 0.0)
    strategic_effort_need: float = _spec("number", 0.0, low_open=True)
    coordination_need: float = _spec("number", 0.0, low_open=True)
    knowledge_retention: float = _spec("share")
    fit_base: float = _spec("share")
    fit_knowledge: float = _spec("share")
    burn_in: int = _spec("integer", 0)

    @classmethod
    def from_config(cls, node: Any) -> FirmParams:
        """Read and check ``firm``."""
        r = _Reader(node, "firm")

        def tasks_of(parent: _Reader, role: str) -> tuple[str, ...]:
            value = parent.get(role)
            want = TASKS[role]
            if not isinstance(value, Sequence) or isinstance(value, str) or sorted(
                    map(str, value)) != sorted(want):
                raise ParamError(f"{parent.key(role)}: must list the tasks {', '.join(want)} "
                                 f"(in any order), got {value!r}")
            return tuple(str(t) for t in value)

        tasks = r.per_role("tasks", tasks_of)
        teaching = TeachingParams.from_config(r.sub("teaching"))

        def per_task(name: str, low_open_sum: bool) -> dict[str, dict[str, float]]:
            def read(parent: _Reader, role: str) -> dict[str, float]:
                node = parent.sub(role)
                for t in map(str, node.node):
                    if t not in tasks[role]:
                        raise ParamError(f"{node.key(t)}: not a task of {role}; tasks: "
                                         f"{', '.join(tasks[role])}")
                out = {str(t): node.number(str(t), 0.0) for t in list(node.node)}
                if low_open_sum and not sum(out.values()) > 0:
                    raise ParamError(f"{node.where}: the shares must not all be 0")
                return out
            return r.per_role(name, read)

        prior, intrinsic = per_task("prior", True), per_task("intrinsic", False)
        for role in ROLES[1:] if teaching.enabled else ():  # teach is `prior` of a hire's effort
            tasks[role] = (*tasks[role], TEACH)
            others = sum(prior[role].values())
            prior[role] = {**prior[role], TEACH: others * teaching.prior / (1 - teaching.prior)}

        rr = r.sub("rate_raise")
        raise_ = RateRaise(enabled=rr.boolean("enabled"), trigger=rr.share("trigger", True),
                           step=rr.number("step", 0.0, low_open=True))
        rr.done()
        kpi = {}
        for name in ("kpi_productivity", "kpi_value"):
            kp = r.sub(name)
            kpi[name] = {role: kp.number(role, 0.0) for role in ROLES[1:]}
            kp.done()
        out = cls(**_read_fields(cls, r),
                  share=r.per_role("share", lambda p, role: p.number(role, 0.0)),
                  n={role: r.optional_integer(f"n_{role}", 1) for role in ROLES}, tasks=tasks,
                  prior=prior, intrinsic=intrinsic, rate_raise=raise_, teaching=teaching,
                  kpi_productivity=kpi["kpi_productivity"], kpi_value=kpi["kpi_value"],
                  overtime=OvertimeParams.from_config(r.sub("overtime")))
        if out.quit_base + out.quit_slope > 1:
            raise ParamError(f"firm.quit_slope: quit_base + quit_slope (the monthly quit chance at "
                             f"zero pay) must be ≤ 1, got {out.quit_base:g} + {out.quit_slope:g}")
        r.done()
        return out

    @functools.cached_property
    def kpi_value_by_role(self) -> np.ndarray:
        """Money per KPI unit by role index (sales 0): what ``kpi_value`` saves."""
        return np.array([0.0] + [self.kpi_value[r] for r in ROLES[1:]])

    def column(self, role: int, task: str) -> int:
        """Column of ``task`` in the effort arrays of role index ``role``."""
        return self.tasks[ROLES[role]].index(task)


class _Group:
    """A config group whose every leaf is declared with :func:`_spec`."""

    where: ClassVar[str]

    @classmethod
    def from_config(cls, node: Any) -> Any:
        """Read and check the group (every leaf, and no other key)."""
        r = _Reader(node, cls.where)
        out = cls(**_read_fields(cls, r))
        r.done()
        return out


@dataclass(frozen=True)
class OrgParams(_Group):
    """Org design (``configs/org``): silos, or iron triangles for a share of ARs."""

    where: ClassVar[str] = "org"
    design: str = _spec("choice", tuple(DESIGNS))
    triangle_share: float = _spec("share")
    triangle_pay: str = _spec("choice", TRIANGLE_PAY)
    account_team_size: int = _spec("integer", 1)
    allocation: str = _spec("choice", ALLOCATIONS)
    staffing: str = _spec("choice", STAFFING)
    reach_back: bool = _spec("boolean")
    handoff_noise: float = _spec("number", 0.0)

    @property
    def dedicated_teams(self) -> bool:
        """Whether the design binds AR, SR and FR to tier-A accounts (the mechanism switch)."""
        return DESIGNS[self.design]


@dataclass(frozen=True)
class ProcessParams(_Group):
    """LTC gate reviews at ATB (S12, ``configs/process``)."""

    where: ClassVar[str] = "process"
    ltc_gates: bool = _spec("boolean")
    review_threshold: float = _spec("share")
    review_noise: float = _spec("number", 0.0)
    sharpen: float = _spec("share")


@dataclass(frozen=True)
class TieringParams(_Group):
    """Who is a key account (S1, ``configs/tiering``)."""

    where: ClassVar[str] = "tiering"
    mode: str = _spec("choice", TIERING_MODES)
    top_share: float = _spec("share", low_open=True)
    tier_a_priority: float = _spec("number", 0.0)

    @property
    def company_wide(self) -> bool:
        """One company-wide tiering standard (else each unit's own view)."""
        return self.mode == "company"


#: Fields of the learning rule (``sim.behavior.LearnerParams``, which checks their ranges).
LEARNER_FIELDS = ("precision", "recency", "experience_decay", "foregone_weight",
                  "initial_experience", "prior_precision", "discount")


@dataclass(frozen=True)
class BehaviorParams:
    """How the firm's people learn (``configs/behavior``; issue 20's fields: docs/behavior.md)."""

    learner: dict[str, float]
    frozen: frozenset[str]
    grid_step: float = _spec("number", 0.0, 1.0, low_open=True)
    ratchet_discount: float = _spec("share")
    time_discount: float = _spec("share")
    horizon: str = _spec("choice", ("period", "month"))
    forecast_memory: float = _spec("number", 0.0, 0.999)
    forecast_nodes: int = _spec("integer", 1)
    forecast_pool_nodes: int = _spec("integer", 1)
    states_from: str = _spec("choice", ("all", "first"))
    timing: str = _spec("choice", ("deal", "ar"))
    value_later_payoffs: bool = _spec("boolean")
    later_horizon: int = _spec("integer", 1)
    sanction_strength: float = 0.0
    sanction_span: int = 1

    @classmethod
    def from_config(cls, node: Any) -> BehaviorParams:
        """Read and check ``behavior`` (the learner's own ranges are LearnerParams')."""
        r = _Reader(node, "behavior")
        ln = r.sub("learner")
        learner = {k: ln.number(k) for k in LEARNER_FIELDS if k in ln.node}
        ln.done()
        frozen = r.get("frozen")
        listed = isinstance(frozen, Sequence) and not isinstance(frozen, str)
        if not listed or any(x not in ROLES for x in frozen):
            raise ParamError(f"behavior.frozen: must be a list of roles from {', '.join(ROLES)}, "
                             f"got {frozen!r}")
        sanction = r.sub("sanction")
        strength, span = sanction.number("strength", 0.0), sanction.integer("span", 1)
        sanction.done()
        out = cls(learner=learner, frozen=frozenset(map(str, frozen)), sanction_strength=strength,
                  sanction_span=span, **_read_fields(cls, r))
        r.done()
        return out


@dataclass(frozen=True)
class PayReference:
    """Calibration numbers the firm reads: on-target pay, revenue, and the pay basis."""

    otc: dict[str, float]
    on_target_revenue: float
    basis: str = "on_target"
    baseline: str = "commission"
    offsets: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_config(cls, node: Any) -> PayReference:
        """Read and check the firm's part of ``calibration`` (the rest is the calibration's)."""
        r = _Reader(node, "calibration")
        otc = r.per_role("otc", lambda p, role: p.number(role, 0.0, low_open=True))
        sales = _Reader(r.sub("on_target_monthly").get("sales"),
                        "calibration.on_target_monthly.sales")
        realised = r.sub("realised")
        offsets = {}
        for scheme in map(str, realised.node):
            if scheme == "baseline":
                continue
            offsets[scheme] = realised.per_role(
                scheme, lambda p, role: p.number(role))
        baseline = realised.get("baseline")
        if not isinstance(baseline, str):
            raise ParamError(f"calibration.realised.baseline: a scheme's name, got {baseline!r}")
        return cls(otc=otc, on_target_revenue=sales.number("revenue", 0.0, low_open=True),
                   basis=r.choice("basis", ("on_target", "realised")), baseline=baseline,
                   offsets=offsets)

    def salary_offset(self, scheme: str) -> dict[str, float]:
        """Monthly salary offset per role of a scheme under this basis (0 on target).

        Raises:
            ParamError: ``realised`` for a scheme without solved offsets.
        """
        if self.basis == "on_target" or scheme == self.baseline:
            return dict.fromkeys(ROLES, 0.0)
        if scheme not in self.offsets:
            raise ParamError(
                f"calibration.basis: realised pay offsets are solved for "
                f"{', '.join(sorted(self.offsets))} (baseline {self.baseline}), not for scheme "
                f"{scheme!r}; solve them with experiments/calibrate_realised.py")
        return self.offsets[scheme]


@dataclass(frozen=True)
class Params:
    """Everything the firm reads, once, from a composed run config."""

    seed: int
    months: int
    n_people: int
    n_accounts: int
    market: MarketParams
    firm: FirmParams
    org: OrgParams
    process: ProcessParams
    tiering: TieringParams
    behavior: BehaviorParams
    pay: PayReference
    heads: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        heads = {}
        for role in ROLES:
            explicit = self.firm.n[role]
            heads[role] = (explicit if explicit is not None
                           else round(self.n_people * self.firm.share[role]))
            if heads[role] < 1:
                raise ParamError(f"size.n_people: too small to staff role {role}; "
                                 f"set firm.n_{role} ≥ 1 or a larger size")
        object.__setattr__(self, "heads", heads)
        if self.months < self.firm.burn_in + 12:
            raise ParamError(f"months: must be ≥ firm.burn_in + 12 = {self.firm.burn_in + 12} "
                             f"(metrics need one fiscal year after the burn-in), got {self.months}")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any]) -> Params:
        """Read a run config given as plain containers (``sim.simulation.plain``)."""
        size = _Reader(cfg.get("size"), "size")
        market = MarketParams.from_config(cfg.get("market"))
        return cls(
            seed=integer(cfg.get("seed"), "seed", 0),
            months=integer(cfg.get("months"), "months", 1),
            n_people=size.integer("n_people", 1),
            n_accounts=market.n_accounts or size.integer("n_accounts", 1),
            market=market, firm=FirmParams.from_config(cfg.get("firm")),
            org=OrgParams.from_config(cfg.get("org")),
            process=ProcessParams.from_config(cfg.get("process")),
            tiering=TieringParams.from_config(cfg.get("tiering")),
            behavior=BehaviorParams.from_config(cfg.get("behavior")),
            pay=PayReference.from_config(cfg.get("calibration")),
        )
