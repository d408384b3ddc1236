"""Webhooks: subscribers get the service's events as HTTP POSTs signed by the Standard Webhooks convention, delivered
as durable jobs. See README "Webhooks"."""
