"""Package data: examples/scenarios of the checkout, installed as service.scenarios (see pyproject.toml)."""
