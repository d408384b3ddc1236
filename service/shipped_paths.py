"""Where the service finds the files fleetcharge ships, once installed (see :mod:`engine.shipped`)."""

from engine.shipped import DEMO_DEPOT, NOTEBOOKS, POLICIES, ROUTES, SCENARIOS, TCO, shipped_dir

DEMO = shipped_dir(DEMO_DEPOT)  # the demo depot: a problem folder (CSV files and depot.yaml)
POLICIES_DIR = shipped_dir(POLICIES)
SCENARIOS_DIR = shipped_dir(SCENARIOS)  # the simulator's scenario library (examples/scenarios)
ROUTES_DIR = shipped_dir(ROUTES)  # example routes (examples/routes)
TCO_DIR = shipped_dir(TCO)  # TCO assumptions files (examples/tco)
DASHBOARD_NOTEBOOK = shipped_dir(NOTEBOOKS) / "dashboard.py"
