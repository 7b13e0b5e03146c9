"""``python -m sim``: the ``incentive-sim`` command."""

from sim.cli import main

raise SystemExit(main())
