"""Composing and validating configuration, with or without Hydra's command line.

``load_config(["scheme=gain_sharing", "seed=7"])`` composes the shipped Hydra tree (``configs/``
in a checkout, ``sim/configs`` inside an installed wheel) with the given overrides and validates
it. Every user mistake becomes a :class:`ConfigError` whose message is one line naming the field
and what is allowed; the CLI prints that line and exits non-zero before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

PACKAGE_DIR = Path(__file__).resolve().parent


class ConfigError(ValueError):
    """A user mistake in the configuration; ``str(err)`` is one line."""


def config_dir() -> Path:
    """Directory of the Hydra config tree: packaged copy first, then the checkout's ``configs/``."""
    for candidate in (PACKAGE_DIR / "configs", PACKAGE_DIR.parent / "configs"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise ConfigError("configs: the config tree was not found next to the sim package")


def group_options(group: str) -> list[str]:
    """Names of the options of a config group (the YAML files in its folder)."""
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


def _one_line(exc: Exception) -> str:
    """Turn a Hydra/OmegaConf composition error into one line naming the field."""
    text = str(exc).strip()
    override = getattr(exc, "override", None)
    if override is not None and type(exc).__name__ == "OverrideParseException":
        return (f"{override}: cannot be read as key=value ({text.splitlines()[0]}); quote a value "
                f"with spaces or brackets, e.g. 'key={{a: 1}}'")
    m = re.search(r"Could not find '([^']+)/([^']+)'", text)
    if m:
        group, option = m.groups()
        return (
            f"{group}: unknown option {option!r}; allowed: {', '.join(group_options(group))}"
        )
    cause = str(exc.__cause__ or "")
    full = re.search(r"full_key: (\S+)", cause)
    overridden = re.search(r"Could not override '([^']+)'", text)
    if "is not in struct" in cause and full and overridden and (
            full.group(1) != overridden.group(1)):
        return (f"{full.group(1)}: no such setting (a mapping given on the command line is "
                f"merged into the preset's; a new key is added with a leading +, e.g. "
                f"+{full.group(1)}=...)")
    m = re.search(r"Could not override '([^']+)'", text)
    if m:
        return (f"{m.group(1)}: no such setting (misspelt key? a field the preset does not list "
                f"is added with a leading +, e.g. +{m.group(1)}=...)")
    m = re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        return f"{m.group(1)}: no such setting (misspelt key?)"
    m = re.search(r"Config group override must be a string or a list. Got (\w+)", text)
    if m:
        return f"config group: an option name is required, got {m.group(1)}"
    return text.splitlines()[0]


def load_config(overrides: Sequence[str] = (), config_name: str = "config",
                search: Sequence[str] = ()) -> DictConfig:
    """Compose the config tree with overrides and validate it.

    Args:
        overrides: Hydra override strings, e.g. ``["scheme=target_bonus", "seed=3"]``.
        search: A designer's folders of plan files (``<folder>/scheme/<name>.yaml``): each file
            is checked (:mod:`sim.planfiles`) and only the checked schemes are searched, after
            the shipped tree.
        config_name: Primary config file (without ``.yaml``).

    Returns:
        The resolved, validated config.

    Raises:
        ConfigError: One line naming the bad field and what is allowed.
    """
    import tempfile

    from sim import planfiles

    check_overrides(overrides)
    with tempfile.TemporaryDirectory(prefix="incentive-sim-plans-") as tmp:
        tree = planfiles.confined_tree(search, Path(tmp))
        hcfg = _compose(config_name, [*overrides, *searchpath_overrides(tree)], hydra=True)
    planfiles.check_chosen(dict(hcfg.hydra.runtime.choices),
                           planfiles.user_options(search) if search else {})
    with open_dict(hcfg):
        del hcfg["hydra"]
    validate(hcfg)
    return hcfg


def check_overrides(overrides: Sequence[str]) -> None:
    """What a command line may say: option names, no interpolations, no empty mappings.

    Raises:
        ConfigError: One line naming the override.
    """
    from sim import planfiles

    planfiles.check_option_names(overrides)
    for o in overrides:
        key, _, value = o.partition("=")
        if "${" in value:
            raise ConfigError(f"{key.lstrip('+~')}: interpolations (${{...}}) are not allowed "
                              f"on the command line; give the value")
        if value.strip() == "{}" and not key.startswith(("+", "~", "hydra")):
            raise ConfigError(f"{key}: ={{}} changes nothing (a mapping on the command line is "
                              f"merged into the preset's); remove an entry with ~{key}.<name>")


def _compose(config_name: str, overrides: Sequence[str], hydra: bool = False) -> DictConfig:
    """Hydra's compose with every error as one :class:`ConfigError` line."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            return compose(config_name=config_name, overrides=list(overrides),
                           return_hydra_config=hydra)
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()


def searchpath_overrides(tree: Path | None) -> list[str]:
    """``hydra.searchpath`` override adding a confined plans tree (an absolute ``file://``)."""
    if tree is None:
        return []
    return [f"hydra.searchpath=[file://{Path(tree).resolve()}]"]


def sweep_points(overrides: Sequence[str], search: Sequence[str] = ()
                 ) -> tuple[list[list[str]], bool, str]:
    """Expand a (possible) sweep into its design points and validate every one.

    The sweep's values come from the preset's ``hydra.sweeper.params`` and from comma lists on
    the command line (which win for the same key), as Hydra's basic sweeper expands them.

    Args:
        overrides: Command-line overrides (no ``hydra.*`` ones).
        search: Extra config folders (``--plans``), as for :func:`load_config`.

    Returns:
        ``(points, multirun, name)``: the override list of every design point; whether the
        preset asks for a multirun (``hydra.mode: MULTIRUN``); the experiment's name.

    Raises:
        ConfigError: One line naming the bad field of the first bad design point.
    """
    import tempfile

    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from sim import planfiles

    check_overrides(overrides)
    plain_args = [o for o in overrides if "," not in o.partition("=")[2]
                  or o.partition("=")[2].strip().startswith("[")]
    with tempfile.TemporaryDirectory(prefix="incentive-sim-plans-") as tmp:
        tree = planfiles.confined_tree(search, Path(tmp))
        hcfg = _compose("config", [*plain_args, *searchpath_overrides(tree)], hydra=True)
    try:
        node = hcfg.hydra.sweeper.params
        params = OmegaConf.to_container(node, resolve=False) if node is not None else {}
        mode = str(OmegaConf.select(hcfg, "hydra.mode", default=None) or "")
        name = str(OmegaConf.select(hcfg, "experiment.name", default=None) or "sweep")
        assert isinstance(params, dict)
        swept = [f"{k!s}={v!s}" for k, v in params.items()] + list(overrides)
        parsed = OverridesParser.create().parse_overrides(swept)
        target = str(OmegaConf.select(hcfg, "hydra.sweeper._target_", default="") or "")
        if "optuna" in target:  # a search: its points come later; check the box's corners
            points = _search_corners(parsed)
        else:
            points = BasicSweeper.split_arguments(parsed, None)[0]
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_one_line(exc)) from None
    first = None
    for point in points:
        cfg = load_config(point, search=search)
        first = first if first is not None else cfg
    baseline = OmegaConf.select(first, "experiment.baseline") if first is not None else None
    if baseline and "optuna" not in target:
        want = override_pairs(str(baseline).split(","))
        if not any(want <= override_pairs(point) for point in points):
            shown = [",".join(o for o in p if not o.lstrip("+~").startswith(
                ("experiment", "debug", "months", "firm.burn_in", "seed"))) or "default"
                for p in points]
            raise ConfigError(f"experiment.baseline: {baseline} names no design point of this "
                              f"sweep; design points: {'; '.join(shown)[:300]}")
    return points, mode.endswith("MULTIRUN"), name


def override_pairs(overrides: Sequence[str]) -> set[tuple[str, str]]:
    """``key=value`` overrides as comparable pairs: ``+`` dropped, values in YAML's spelling.

    A sweep's own values come back from Hydra as Python's (``False``); a user writes YAML's
    (``false``): both are ``("process.ltc_gates", "false")`` here.
    """
    import yaml

    out = set()
    for o in overrides:
        key, _, value = o.strip().lstrip("+").partition("=")
        try:
            parsed = yaml.safe_load(value)
        except yaml.YAMLError:
            parsed = value
        canon = (json.dumps(parsed) if isinstance(parsed, bool | int | float) or parsed is None
                 else str(value))
        out.add((key, canon))
    return out


def _search_corners(parsed: list[Any]) -> list[list[str]]:
    """The lowest and the highest corner of a search space (intervals, ranges, choices)."""
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep

    corners: list[list[str]] = [[], []]
    for o in parsed:
        key = o.get_key_element()
        v = o.value()
        ends: list[Any]
        if isinstance(v, IntervalSweep):
            ends = [v.start, v.end]
        elif isinstance(v, RangeSweep):
            ends = [v.start, v.stop]
        elif isinstance(v, ChoiceSweep):
            ends = [v.list[0], v.list[-1]]
        else:
            ends = [v, v]
        for corner, end in zip(corners, ends, strict=True):
            corner.append(f"{key}={end}")
    return corners


def _check(fn: Any, cfg: DictConfig, key: str, *args: Any, **kwargs: Any) -> None:
    """Run one of :mod:`sim.firm.params`' single-value checks on a config leaf."""
    from sim.firm.params import ParamError

    try:
        fn(OmegaConf.select(cfg, key), key, *args, **kwargs)
    except ParamError as exc:
        raise ConfigError(str(exc)) from None


def _expect_int(cfg: DictConfig, key: str, minimum: int) -> None:
    from sim.firm.values import integer

    _check(integer, cfg, key, minimum)


def _expect_number(cfg: DictConfig, key: str, low: float | None = None,
                   high: float | None = None, low_open: bool = False) -> None:
    from sim.firm.values import number

    _check(number, cfg, key, low, high, low_open)


def validate(cfg: DictConfig) -> None:
    """Check a composed config; raise :class:`ConfigError` on the first problem.

    The firm's groups (size, market, firm, org, process, tiering, behavior and the calibration
    numbers it reads) are read into :class:`sim.firm.params.Params`, which checks every leaf;
    the scheme is built by :func:`sim.scheme.build_scheme`, which checks every plan.

    Args:
        cfg: A composed config.
    """
    from sim.plans import PlanError
    from sim.scheme import build_scheme

    _expect_int(cfg, "seed", 0)
    if "months" in cfg:
        _expect_int(cfg, "months", 1)
    _known_keys(cfg)
    if all(g in cfg for g in ("size", "market", "firm", "org", "process", "tiering",
                               "behavior", "calibration")):
        validate_run(_plain(cfg))
    if OmegaConf.select(cfg, "experiment") is not None:
        _expect_int(cfg, "experiment.replications", 1)
        base = OmegaConf.select(cfg, "experiment.baseline")
        if base is not None and (not isinstance(base, str) or "=" not in base):
            raise ConfigError(f"experiment.baseline: must be key=value[,key=value] naming one "
                              f"design point, got {base!r}")
    for key in ("debug.fail_replication", "debug.kill_during_write"):
        if OmegaConf.select(cfg, key) is not None:
            _expect_int(cfg, key, 0)
    if "scheme" in cfg:
        try:
            build_scheme(cfg.scheme)
        except PlanError as exc:
            raise ConfigError(str(exc)) from None
    if OmegaConf.select(cfg, "rollout.month") is not None:
        _expect_int(cfg, "rollout.month", 1)
        if OmegaConf.select(cfg, "rollout.scheme") is None:
            raise ConfigError("rollout.scheme: give the plan to roll out, e.g. "
                              "scheme@rollout.scheme=gain_sharing")
        try:
            build_scheme(cfg.rollout.scheme)
        except PlanError as exc:
            raise ConfigError(f"rollout.scheme: {exc}") from None
    if "theory" in cfg:
        _expect_int(cfg, "theory.seeds", 2)
        _expect_int(cfg, "theory.periods", 1)
        _expect_int(cfg, "theory.seed", 0)
        _expect_number(cfg, "theory.budget", low=0.0, low_open=True)
        budget = float(cfg.theory.budget)
        _expect_number(cfg, "theory.grid_step", low=0.0, low_open=True, high=budget)
        _expect_number(cfg, "theory.window", low=0.0, low_open=True, high=1.0)
        _expect_number(cfg, "theory.sigma", low=0.0)
        _expect_number(cfg, "theory.baseline")
        _expect_number(cfg, "theory.prior_effort", low=0.0, high=budget)
        _validate_learner(cfg, "theory.learner")
    if "behavior" in cfg:
        _validate_learner(cfg, "behavior.learner")


#: Top-level keys a run's config has (``validation`` is the validation presets'), and the keys
#: of the small groups that are not the firm's (the firm's are read by sim.firm.params).
TOP_KEYS = ("seed", "months", "acknowledge", "rollout", "experiment", "scheme", "org", "tiering",
            "size", "market", "process", "firm", "behavior", "calibration", "theory", "debug",
            "search", "sensitivity", "validation")
GROUP_KEYS = {"experiment": ("name", "replications", "baseline"),
              "debug": ("fail_replication", "kill_during_write"),
              "rollout": ("month", "scheme")}


def _known_keys(cfg: DictConfig) -> None:
    """A key nothing reads (``+foo=1``, ``+experiment.repetitions=5``) is refused."""
    for key in map(str, cfg):
        if key not in TOP_KEYS:
            raise ConfigError(f"{key}: no such setting; top-level settings: "
                              f"{', '.join(TOP_KEYS)}")
    for group, allowed in GROUP_KEYS.items():
        node = OmegaConf.select(cfg, group)
        for key in map(str, node) if isinstance(node, DictConfig) else ():
            if key not in allowed:
                raise ConfigError(f"{group}.{key}: no such setting; allowed: "
                                  f"{', '.join(allowed)}")


def validate_run(c: dict[str, Any]) -> None:
    """The checks a firm run needs, on plain containers (what ``sim.run`` gets).

    The firm's parameters (:class:`sim.firm.params.Params`), the scheme and a rollout scheme
    (every plan built), and the firm's rules for schemes (:mod:`sim.plan_rules`).

    Raises:
        ConfigError: One line naming the field.
    """
    from sim import plan_rules
    from sim.behavior import state
    from sim.firm.params import ParamError, Params
    from sim.plans import PlanError
    from sim.scheme import build_scheme

    try:
        p = Params.from_config(c)
    except ParamError as exc:
        raise ConfigError(str(exc)) from None
    acknowledged = plan_rules.check_acknowledged(c.get("acknowledge"))
    schemes = [("scheme", c.get("scheme"))]
    if (c.get("rollout") or {}).get("scheme") is not None:
        schemes.append(("rollout.scheme", c["rollout"]["scheme"]))
    for where, scheme in schemes:
        if not isinstance(scheme, dict):
            raise ConfigError(f"{where}: must be a scheme (name, plans, roles)")
        try:
            built = build_scheme(scheme)
        except PlanError as exc:
            raise ConfigError(str(exc) if where == "scheme" else f"{where}: {exc}") from None
        for name, plan in built.plans.items():  # a rank needs each teammate's taught result
            if p.firm.teaching.enabled and getattr(plan, "split", None) == "rank":
                raise ConfigError(f"{where}.plans.{name}.split: rank cannot price teaching "
                                  "(firm.teaching.enabled); allowed: proportional")
        for role, spec in built.roles.items():  # the learners' memory stays bounded
            chosen, space = state.of_plans([built.plans[n].decision_space() for n in spec.plans],
                                           p.behavior.states_from)
            n_states = space.n_states
            if n_states > state.MAX_STATES:
                raise ConfigError(
                    f"behavior.states_from: all gives {role} {n_states} decision states (plans "
                    f"{', '.join(spec.plans[i] for i in chosen)} in {where}); at most "
                    f"{state.MAX_STATES}: use first, or fewer periodic plans")
        plan_rules.check_scheme(scheme, where, p.pay.otc, acknowledged)
        try:
            p.pay.salary_offset(str(scheme.get("name", "custom")))
        except ParamError as exc:
            raise ConfigError(str(exc)) from None


def _validate_learner(cfg: DictConfig, key: str) -> None:
    """Every learner parameter is a finite number in its range (LearnerParams states them)."""
    from dataclasses import fields

    from sim.behavior import LearnerParams

    node = OmegaConf.select(cfg, key)
    if not isinstance(node, DictConfig):
        raise ConfigError(f"{key}: must be a mapping of learner parameters")
    allowed = {f.name for f in fields(LearnerParams)}
    for name in map(str, node):
        if name not in allowed:
            raise ConfigError(f"{key}.{name}: unknown; allowed: {', '.join(sorted(allowed))}")
        _expect_number(cfg, f"{key}.{name}")
    try:
        LearnerParams(**_plain(node))
    except (TypeError, ValueError) as exc:
        msg = str(exc).splitlines()[0].replace("behavior.", f"{key}.", 1)
        raise ConfigError(msg) from None


def _plain(node: Any) -> dict[str, Any]:
    out = OmegaConf.to_container(node, resolve=True)
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}
