"""Package data: notebooks of the checkout, installed as service.notebooks (see pyproject.toml)."""
