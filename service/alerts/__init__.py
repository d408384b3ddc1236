"""Alerts in the store: raised from decisions (:mod:`engine.alerts`), one row per condition, acknowledged and
resolved by people, delivered to webhook subscribers."""
