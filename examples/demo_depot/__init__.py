"""Package data: examples/demo_depot of the checkout, installed as service.demo_depot (see pyproject.toml)."""
