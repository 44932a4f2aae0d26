"""Services of the accelerators domain (no HTTP, no DRF): inventory, summaries, power, time series."""
