"""Static files with content-hashed names once collected, plain names before.

``collectstatic`` writes a hashed copy of every file (``kcloud.3f2a…1c.css``) and a
manifest; pages then link the hashed names, so the proxy can serve ``/static/``
with ``Cache-Control: immutable`` (deploy/vm/nginx) and a new release can never
be mixed with a browser's cached old file. Without a collected manifest (``make
demo`` and the tests serve straight from the finders) a name keeps its plain
form instead of failing the page.
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class HashedStaticStorage(ManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected: the file is only in the finders' directories
            return name
