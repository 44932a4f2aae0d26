"""Pages of the monitoring area: fleet power now, power breakdown, energy report, live power."""

from __future__ import annotations

from monitoring.views.breakdown import breakdown_page
from monitoring.views.energy import energy_page
from monitoring.views.live import live_page
from monitoring.views.power import power_page

__all__ = ["breakdown_page", "energy_page", "live_page", "power_page"]
