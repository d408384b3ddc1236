"""Total cost of ownership: assumptions files, cash flows, NPV and levelised cost, calibration from plans,
scenarios, sensitivity and Monte Carlo (issue 22)."""
