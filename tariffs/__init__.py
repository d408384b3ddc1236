"""Package data: tariffs of the checkout, installed as engine.tariffs.shipped (see pyproject.toml)."""
