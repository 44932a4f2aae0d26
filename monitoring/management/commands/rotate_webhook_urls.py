"""``manage.py rotate_webhook_urls``: re-encrypt notification channels' webhook URLs under the newest key.

``rotate_credentials`` runs it too, so one command rotates every stored secret.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters import crypto
from clusters.crypto import CredentialDecryptionError
from monitoring.models import NotificationChannel


class Command(BaseCommand):
    help = "Re-encrypt webhook URLs under the newest KCLOUD_CREDENTIALS_KEY."

    def handle(self, *args, **opts) -> None:
        rotated = 0
        with transaction.atomic():
            for channel in NotificationChannel.objects.select_for_update().exclude(_url=""):
                try:
                    NotificationChannel.objects.filter(pk=channel.pk).update(_url=crypto.rotate(channel._url))
                except CredentialDecryptionError as exc:
                    raise CommandError(f"channel {channel.name}: {exc}") from None
                rotated += 1
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted the URLs of {rotated} notification channel(s)."))
