"""File formats: YAML with line tracking, CSV tables, problem folders."""
