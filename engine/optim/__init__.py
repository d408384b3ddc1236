"""Optimisation plumbing shared by every model (scheduling now, routing and TCO next): Pyomo to HiGHS as arrays,
flat linear sums, deterministic solves, warm re-solves. Imports nothing of the scheduler."""
