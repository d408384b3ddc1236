"""Routing with charging (issue 21): where a fixed route stops to charge, exactly."""
