"""The firm's structure (issue 13): import rules, public names only, small modules, the step.

Who may import whom is read from the imports; no module uses another's private names; no file
of the package is over 600 lines; ``Firm.step`` reads as the schedule of docs/ODD.md §3.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
SIM = Path(sim.__file__).parent
FIRM = SIM / "firm"

#: Module → modules it must never import (prefix match on the dotted name).
FORBIDDEN = {
    "ledger": ("sim",),
    "values": ("sim",),
    "params": ("sim",),
    "overtime": ("sim",),
    "later": ("sim",),
    "units": ("sim.scheme", "sim.behavior", "sim.firm.people", "sim.firm.pipeline",
              "sim.firm.payroll"),
    **{m: ("sim.plans", "sim.scheme", "sim.behavior")
       for m in ("market", "org", "support", "requirements", "pipeline", "fulfilment",
                 "counterfactual")},
    "payroll": ("sim.firm.pipeline", "sim.firm.support", "sim.firm.market", "sim.firm.people"),
    "people": ("sim.plans",),
    "skills": ("sim.plans", "sim.scheme", "sim.behavior"),
}
#: Imports a rule above lets through: params reads its values with the leaf value checks, and
#: the overtime settings (a leaf like them: it imports nothing from sim but those checks).
ALLOWED = {"params": ("sim.firm.values", "sim.firm.overtime"), "overtime": ("sim.firm.values",)}


def imports(path: Path) -> set[str]:
    """Every module a file imports (``from x import y`` also counts ``x.y``)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_import_rules(module):
    found = imports(FIRM / f"{module}.py")
    ok = ALLOWED.get(module, ())
    bad = sorted(i for i in found for f in FORBIDDEN[module] if (i == f or i.startswith(f + "."))
                 and not any(i == a or i.startswith(a + ".") for a in ok))
    assert not bad, f"sim/firm/{module}.py imports {bad}"


def test_the_rules_would_catch_a_forbidden_import(tmp_path):
    """The checker itself: a module importing a plan is seen."""
    f = tmp_path / "m.py"
    f.write_text("from sim.plans import build_plan\nimport sim.behavior.state\n")
    assert {"sim.plans", "sim.plans.build_plan", "sim.behavior.state"} <= imports(f)


def _outside_firm() -> list[Path]:
    files = [p for d in ("sim", "tests", "experiments", "benchmarks")
             for p in (ROOT / d).rglob("*.py")]
    return [p for p in files if FIRM not in p.parents]


def test_nothing_outside_the_firm_uses_its_private_names():
    bad = []
    for path in _outside_firm():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim.firm"):
                bad += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_")]
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and "firm" in node.value.id.lower()):
                bad.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, bad


def test_no_private_imports_across_modules_or_from_experiments():
    """A module (or an experiment script, or a test) imports only public names of another."""
    bad = []
    for path in [*SIM.rglob("*.py"), *(ROOT / "experiments").rglob("*.py"),
                 *(ROOT / "tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sim"):
                bad += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}"
                        for a in node.names if a.name.startswith("_")]
    assert not bad, bad


def test_no_module_of_the_package_is_over_600_lines():
    long = {str(p.relative_to(ROOT)): n for p in SIM.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert not long, long


def test_the_step_reads_as_the_odd_schedule():
    """Firm.step is short and names its phases in ODD §3's numbering, 0 to 7, in order."""
    from sim.firm.model import Firm

    src = inspect.getsource(Firm.step)
    assert len(src.splitlines()) <= 50
    marks = [int(line.rsplit("#", 1)[1]) for line in src.splitlines()
             if line.rstrip().rsplit("#", 1)[-1].strip().isdigit()]
    assert marks == list(range(8)), marks
    odd = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
    section = odd[odd.index("## 3."):odd.index("## 4.")]
    for k in range(8):
        assert f"\n{k}. " in section, f"ODD §3 has no phase {k}"
