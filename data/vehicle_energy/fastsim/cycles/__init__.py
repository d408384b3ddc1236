"""Package data: data/vehicle_energy/fastsim/cycles of the checkout, installed as engine.drive_cycles (see pyproject.toml)."""
