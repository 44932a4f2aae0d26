"""Power analytics services: energy, power now, breakdowns, cluster summaries."""
