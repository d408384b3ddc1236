"""Package data: examples/routes of the checkout, installed as service.routes (see pyproject.toml)."""
