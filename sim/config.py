"""Composing and validating configuration, with or without Hydra's command line.

``load_config(["scheme=gain_sharing", "seed=7"])`` composes the shipped Hydra tree (``configs/``
in a checkout, ``sim/configs`` inside an installed wheel) with the given overrides and validates
it. Every user mistake becomes a :class:`ConfigError` whose message is one line naming the field
and what is allowed; the CLI prints that line and exits non-zero before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

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
    m = re.search(r"Could not find '([^']+)/([^']+)'", text)
    if m:
        group, option = m.groups()
        return (
            f"{group}: unknown option {option!r}; allowed: {', '.join(group_options(group))}"
        )
    m = re.search(r"Could not override '([^']+)'", text)
    if m:
        return f"{m.group(1)}: no such setting (misspelt key?); see the README's list of knobs"
    m = re.search(r"Key '([^']+)' is not in struct", text)
    if m:
        return f"{m.group(1)}: no such setting (misspelt key?)"
    return text.splitlines()[0]


def load_config(overrides: Sequence[str] = (), config_name: str = "config") -> DictConfig:
    """Compose the config tree with overrides and validate it.

    Args:
        overrides: Hydra override strings, e.g. ``["scheme=target_bonus", "seed=3"]``.
        config_name: Primary config file (without ``.yaml``).

    Returns:
        The resolved, validated config.

    Raises:
        ConfigError: One line naming the bad field and what is allowed.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
            cfg = compose(config_name=config_name, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException, ValueError) as exc:
        raise ConfigError(_one_line(exc)) from None
    finally:
        GlobalHydra.instance().clear()
    validate(cfg)
    return cfg


def _expect_int(cfg: DictConfig, key: str, minimum: int) -> None:
    value = OmegaConf.select(cfg, key)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{key}: must be an integer ≥ {minimum}, got {value!r}")


def validate(cfg: DictConfig) -> None:
    """Check a composed config; raise :class:`ConfigError` on the first problem.

    Args:
        cfg: A composed config.
    """
    from sim.plans import PlanError
    from sim.scheme import build_scheme

    _expect_int(cfg, "seed", 0)
    if "months" in cfg:
        _expect_int(cfg, "months", 1)
    if "scheme" in cfg:
        try:
            build_scheme(cfg.scheme)
        except PlanError as exc:
            raise ConfigError(str(exc)) from None
    if "theory" in cfg:
        _expect_int(cfg, "theory.seeds", 2)
        _expect_int(cfg, "theory.periods", 1)
        _expect_int(cfg, "theory.seed", 0)
        try:
            from sim.behavior import LearnerParams

            LearnerParams(**_plain(cfg.theory.learner))
        except (TypeError, ValueError) as exc:
            raise ConfigError("theory.learner: " + str(exc).splitlines()[0]) from None
    if "behavior" in cfg:
        from sim.behavior import LearnerParams

        try:
            LearnerParams(**_plain(cfg.behavior.learner))
        except (TypeError, ValueError) as exc:
            raise ConfigError(str(exc).splitlines()[0]) from None


def _plain(node: Any) -> dict[str, Any]:
    out = OmegaConf.to_container(node, resolve=True)
    assert isinstance(out, dict)
    return {str(k): v for k, v in out.items()}
