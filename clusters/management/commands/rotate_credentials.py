"""``manage.py rotate_credentials``: re-encrypt every stored secret under the newest key.

Key rotation: put the new key first in KCLOUD_CREDENTIALS_KEY (keep the old one
after it), run this, then drop the old key.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters.crypto import CredentialDecryptionError
from clusters.models import Cluster
from kcloud.auth import audit


class Command(BaseCommand):
    help = "Re-encrypt cluster credentials under the newest KCLOUD_CREDENTIALS_KEY."

    def handle(self, *args, **opts) -> None:
        rotated = 0
        with transaction.atomic():
            for cluster in Cluster.objects.select_for_update():
                try:
                    changed = cluster.rotate_credentials()
                except CredentialDecryptionError as exc:
                    raise CommandError(f"{cluster.name}: {exc}") from None
                if changed:
                    # update(): a re-encryption is not a settings change, keep updated_at.
                    Cluster.objects.filter(pk=cluster.pk).update(
                        _password=cluster._password, _bearer_token=cluster._bearer_token
                    )
                    audit.record("credentials.rotated", cluster)  # update() sends no signal: say it here
                    rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted credentials of {rotated} cluster(s)."))
        # The notification channels' webhook URLs use the same key (by name: that app is above this one).
        call_command("rotate_webhook_urls", stdout=self.stdout)
