"""Package data: policies of the checkout, installed as engine.policy.shipped (see pyproject.toml)."""
