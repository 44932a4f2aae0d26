"""Pages that compose the domains: the fleet overview (home), cluster detail and comparison,
fleet power now, power breakdown, energy report, live power, alerts and budgets."""

from __future__ import annotations

from monitoring.views.alerts import alert_action, alerts_page
from monitoring.views.breakdown import breakdown_page
from monitoring.views.cluster_detail import cluster_detail
from monitoring.views.compare import compare_page
from monitoring.views.energy import energy_page
from monitoring.views.live import live_page
from monitoring.views.overview import overview
from monitoring.views.power import power_page

__all__ = [
    "alert_action",
    "alerts_page",
    "breakdown_page",
    "cluster_detail",
    "compare_page",
    "energy_page",
    "live_page",
    "overview",
    "power_page",
]
