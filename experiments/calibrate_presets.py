"""Print each scheme preset's on-target total compensation per role and the salary that fixes it.

Usage: ``python experiments/calibrate_presets.py``. See docs/calibration.md.
"""

from __future__ import annotations

from sim.calibration import on_target_comp
from sim.config import group_options, load_config
from sim.scheme import ROLES, build_scheme


def main() -> None:
    """Print the calibration table."""
    for name in group_options("scheme"):
        cfg = load_config([f"scheme={name}"])
        scheme = build_scheme(cfg.scheme)
        otc = on_target_comp(scheme, cfg.calibration)
        print(f"\n{name}")
        for role in ROLES:
            want = float(cfg.calibration.otc[role])
            gap = want - otc[role]
            salary = scheme.roles[role].salary + gap / 12
            flag = "ok" if abs(otc[role] / want - 1) <= cfg.calibration.tolerance else "RECALIBRATE"
            print(f"  {role:<13} on-target {otc[role]:9.3f}  target {want:7.1f}  "
                  f"salary now {scheme.roles[role].salary:8.4f}  "
                  f"salary to match {salary:8.4f}  {flag}")


if __name__ == "__main__":
    main()
