"""``manage.py register_cluster``: create or update a cluster from the command line.

Goes through the admin's form, so the same validation and encryption apply.
Secrets are read from environment variables named on the command line, never
from argv (argv is visible to every user of the machine via ``ps``).
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError
from django.forms.models import model_to_dict

from clusters.forms import ClusterAdminForm
from clusters.models import Cluster


class Command(BaseCommand):
    help = "Register a cluster (or update it if the name exists). Secrets come from environment variables."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="Cluster slug, e.g. seoul-a")
        parser.add_argument("--url", required=True, help="Prometheus base URL")
        parser.add_argument("--display-name")
        parser.add_argument("--description")
        parser.add_argument("--region")
        parser.add_argument("--username")
        parser.add_argument("--password-env", metavar="VAR", help="Environment variable holding the password")
        parser.add_argument("--bearer-token-env", metavar="VAR", help="Environment variable holding the token")
        parser.add_argument("--selector", help='Label matchers added to every query, e.g. cluster="seoul-a"')
        parser.add_argument("--carbon-intensity", type=float, metavar="G", help="gCO2e per kWh")
        parser.add_argument("--price", metavar="P", help="Electricity price per kWh")
        parser.add_argument("--currency", metavar="C", help="ISO 4217 code, e.g. KRW")
        parser.add_argument("--design-pue", type=float, metavar="X")
        parser.add_argument("--power-budget-watts", type=float, metavar="W", help="IT power the cluster may draw")
        parser.add_argument("--facility-power-query", metavar="PROMQL")
        parser.add_argument("--timeout", type=float, metavar="SECONDS")
        parser.add_argument("--no-verify-tls", action="store_true")
        parser.add_argument("--disabled", action="store_true", help="Register but do not query it")

    def handle(self, *args, **opts) -> None:
        existing = Cluster.objects.filter(name=opts["name"]).first()
        data = model_to_dict(existing) if existing else {"verify_tls": True, "enabled": True, "currency": "KRW"}
        data.update({"name": opts["name"], "prometheus_url": opts["url"]})
        if existing is None:
            data.setdefault("timeout_seconds", 10.0)
            data.setdefault("auth_type", Cluster.AuthType.NONE)
        overrides = {
            "display_name": opts["display_name"],
            "description": opts["description"],
            "region": opts["region"],
            "username": opts["username"],
            "label_selector": opts["selector"],
            "carbon_intensity_g_per_kwh": opts["carbon_intensity"],
            "electricity_price_per_kwh": opts["price"],
            "currency": opts["currency"],
            "design_pue": opts["design_pue"],
            "power_budget_watts": opts["power_budget_watts"],
            "facility_power_query": opts["facility_power_query"],
            "timeout_seconds": opts["timeout"],
        }
        data.update({key: value for key, value in overrides.items() if value is not None})
        if opts["no_verify_tls"]:
            data["verify_tls"] = False
        if opts["disabled"]:
            data["enabled"] = False

        password = self._secret(opts["password_env"])
        token = self._secret(opts["bearer_token_env"])
        if password is not None:
            data["auth_type"] = Cluster.AuthType.BASIC
            data["new_password"] = password
        if token is not None:
            data["auth_type"] = Cluster.AuthType.BEARER
            data["new_bearer_token"] = token
        # None would be rendered as the string "None" by some form fields.
        data = {key: ("" if value is None else value) for key, value in data.items()}

        form = ClusterAdminForm(data=data, instance=existing)
        if not form.is_valid():
            problems = "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            raise CommandError(f"Invalid cluster settings: {problems}")
        cluster = form.save()
        verb = "Updated" if existing else "Registered"
        self.stdout.write(self.style.SUCCESS(f"{verb} cluster {cluster.name} ({cluster.prometheus_url})"))

    @staticmethod
    def _secret(variable: str | None) -> str | None:
        if not variable:
            return None
        value = os.environ.get(variable)
        if not value:
            raise CommandError(f"Environment variable {variable} is not set or empty.")
        return value
