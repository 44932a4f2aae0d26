"""``manage.py create_api_token USERNAME``: issue a partner API token from a shell.

The key is printed once, alone on the last line, so a script can capture it
with ``| tail -n 1``.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kcloud.auth.models import ApiToken


def _cluster_names(value: str) -> list[str]:
    """Split ``a,b`` into names, dropping blanks and duplicates, keeping order."""
    names: list[str] = []
    for part in value.split(","):
        name = part.strip()
        if name and name not in names:
            names.append(name)
    return names


class Command(BaseCommand):
    help = "Issue an API token for USERNAME and print its key once (last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument("--name", default="", help="What the token is for (default: 'cli').")
        parser.add_argument(
            "--clusters",
            type=_cluster_names,
            default=[],
            help="Comma-separated cluster names to limit the token to (default: every cluster the user can see).",
        )
        parser.add_argument(
            "--expires-days", type=int, default=None, help="Days until the token expires (default: never)."
        )

    def handle(self, *args, **options) -> None:
        username: str = options["username"]
        name: str = (options["name"] or "cli").strip() or "cli"
        cluster_names: list[str] = options["clusters"]
        expires_days: int | None = options["expires_days"]

        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.")

        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(username)
        except user_model.DoesNotExist:
            raise CommandError(f"Unknown user: {username}") from None
        if not user.is_active:
            # Allowed (the account may be re-activated), but the token will not
            # authenticate until then: say so rather than fail silently later.
            self.stderr.write(self.style.WARNING(f"User {username} is inactive: the token will not work until it is."))

        # The token's own relation names the registry's model: this app need not import it.
        cluster_model = ApiToken._meta.get_field("clusters").related_model
        clusters = list(cluster_model.objects.filter(name__in=cluster_names))
        missing = sorted(set(cluster_names) - {cluster.name for cluster in clusters})
        if missing:
            raise CommandError(f"Unknown cluster(s): {', '.join(missing)}")
        # Keep the order the operator typed.
        clusters.sort(key=lambda cluster: cluster_names.index(cluster.name))

        with transaction.atomic():
            token, key = ApiToken.issue(user, name, clusters=clusters, expires_days=expires_days)

        scope = ", ".join(cluster.name for cluster in clusters) if clusters else f"all clusters visible to {username}"
        expiry = token.expires_at.isoformat() if token.expires_at else "never"
        self.stdout.write(f"Created API token “{token.name}” for {username}.")
        self.stdout.write(f"  prefix:   {token.prefix}")
        self.stdout.write(f"  clusters: {scope}")
        self.stdout.write(f"  expires:  {expiry}")
        self.stdout.write("Copy the key now; it is not stored and will not be shown again:")
        self.stdout.write(key)
