"""PUE, carbon and cost of a cluster: facility figures from configuration, never from constants.

* PUE = facility power / IT power. ``measured`` when the cluster has a
  ``facility_power_query`` (an admin's trusted PromQL returning the facility's
  watts, from a PDU or BMS) that answers; else ``configured`` from the
  cluster's ``design_pue``; else ``unavailable`` and every facility figure is
  ``None``.
* carbon (gCO2e) = IT kWh x PUE x the cluster's carbon intensity (g/kWh);
  cost = IT kWh x PUE x the cluster's electricity price, in its currency.
  A missing input gives ``None``, never a guess.

:class:`Site` is read from the Cluster row *before* a fan-out, so worker threads
never touch the database; the price leaves ``Decimal`` here, at the edge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from clusters.prometheus.cache import LIVE, SUMMARY, cached_query
from clusters.prometheus.errors import PrometheusError
from monitoring import queries

logger = logging.getLogger(__name__)

J_PER_KWH = 3.6e6
MEASURED, CONFIGURED, UNAVAILABLE = "measured", "configured", "unavailable"
PUE_SOURCES = (MEASURED, CONFIGURED, UNAVAILABLE)


@dataclass(frozen=True)
class Site:
    """A cluster's economics as configured in the registry."""

    cluster: str
    design_pue: float | None
    facility_power_query: str
    carbon_intensity_g_per_kwh: float | None
    electricity_price_per_kwh: float | None
    currency: str | None

    @classmethod
    def of(cls, cluster: Any) -> Site:
        price = cluster.electricity_price_per_kwh
        return cls(
            cluster=cluster.name,
            design_pue=cluster.design_pue,
            facility_power_query=(cluster.facility_power_query or "").strip(),
            carbon_intensity_g_per_kwh=cluster.carbon_intensity_g_per_kwh,
            electricity_price_per_kwh=None if price is None else float(price),
            currency=cluster.currency or None,
        )


@dataclass(frozen=True)
class Pue:
    """A PUE with where it came from; ``facility_power_watts`` only when measured."""

    value: float | None
    source: str
    facility_power_watts: float | None = None
    error: str | None = None  # why a configured facility query gave nothing


@dataclass(frozen=True)
class Facility:
    """The answer of a facility power query: mean watts (or None) and an error if it failed."""

    watts: float | None
    error: str | None = None


def fetch_facility(client: Any, site: Site, at: float, window_seconds: int | None = None) -> Facility | None:
    """Facility watts at ``at`` (or their mean over the window ending at ``at``); None when not configured.

    Runs in a fan-out worker. A failing or empty facility query is reported on
    the PUE (``error``) instead of failing the cluster: IT figures stay valid.
    """
    if not site.facility_power_query:
        return None
    if window_seconds:
        from clusters.prometheus.promql import promql_duration

        step = queries.subquery_step(window_seconds)
        expr = queries.facility_power_avg(site.facility_power_query, promql_duration(window_seconds), step)
        ttl = SUMMARY
    else:
        expr, ttl = queries.facility_power(site.facility_power_query), LIVE
    try:
        result = cached_query(client, expr, ttl, time=at)
    except PrometheusError as exc:
        logger.warning("facility power query of %s failed: %s", site.cluster, exc)
        return Facility(None, f"facility power query failed: {exc.message}")
    values = [s.value for s in result.samples if s.value is not None]
    if not values:
        return Facility(None, "facility power query returned no data")
    return Facility(sum(values))


def pue_of(site: Site, it_watts: float | None, facility: Facility | None) -> Pue:
    """The PUE for IT power ``it_watts`` (W now, or mean W over a window) and a facility answer."""
    error = None
    if facility is not None:
        if facility.watts is not None and it_watts:
            return Pue(facility.watts / it_watts, MEASURED, facility.watts)
        error = facility.error or "no IT power to divide the facility power by"
    if site.design_pue is not None:
        return Pue(float(site.design_pue), CONFIGURED, None, error)
    return Pue(None, UNAVAILABLE, None, error)


def facility_of(value: float | None, pue: Pue) -> float | None:
    """IT figure x PUE (watts or kWh); None when either is unknown."""
    if value is None or pue.value is None:
        return None
    return value * pue.value


def carbon_grams(it_kwh: float | None, pue: Pue, site: Site) -> float | None:
    """gCO2e = IT kWh x PUE x carbon intensity."""
    facility = facility_of(it_kwh, pue)
    if facility is None or site.carbon_intensity_g_per_kwh is None:
        return None
    return facility * site.carbon_intensity_g_per_kwh


def cost(it_kwh: float | None, pue: Pue, site: Site) -> float | None:
    """Money = IT kWh x PUE x price per kWh (in ``site.currency``)."""
    facility = facility_of(it_kwh, pue)
    if facility is None or site.electricity_price_per_kwh is None:
        return None
    return facility * site.electricity_price_per_kwh


def money_fields(it_kwh: float | None, pue: Pue, site: Site) -> dict:
    """The economics fields every energy row carries."""
    return {
        "facility_energy_kwh": facility_of(it_kwh, pue),
        "carbon_grams": carbon_grams(it_kwh, pue, site),
        "cost": cost(it_kwh, pue, site),
        "currency": site.currency,
        "pue": pue.value,
        "pue_source": pue.source,
    }


def rate_fields(it_watts: float | None, pue: Pue, site: Site) -> dict:
    """Carbon and cost per hour at ``it_watts`` (a kWh per hour is a kW)."""
    kwh_per_hour = None if it_watts is None else it_watts / 1000.0
    return {
        "carbon_grams_per_hour": carbon_grams(kwh_per_hour, pue, site),
        "cost_per_hour": cost(kwh_per_hour, pue, site),
        "currency": site.currency,
    }
