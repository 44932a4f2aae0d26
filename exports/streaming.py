"""An HTTP download that streams a writer's chunks, under WSGI and ASGI alike.

Django consumes a *synchronous* iterator under ASGI by first turning it into a
list (``StreamingHttpResponse.__aiter__``), which would hold the whole file in
memory. Under ASGI (daphne) the chunks are therefore pulled one at a time from a
worker thread and handed on through an asynchronous iterator; under WSGI (and
Django's test client) the synchronous iterator is used as is.

The first chunk is produced before the response starts: a writer that fails at
once (the temp dir full or read-only for the Excel spool) is then an error
response, not a 200 with a cut file. A failure after that cuts the connection
without the closing chunk, so no client takes a partial file for a whole one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

from exports.filenames import content_disposition
from exports.writers import prepend

_END = object()


async def _pull(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    # Not thread-sensitive: the writers never touch the database (clusters are
    # resolved before), so chunks may be produced in any worker thread.
    step = sync_to_async(next, thread_sensitive=False)
    try:
        while (chunk := await step(chunks, _END)) is not _END:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            await sync_to_async(close, thread_sensitive=False)()


def _first_ready(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` with its first chunk already produced (its errors raised here, in the view)."""
    try:
        first = next(chunks)
    except StopIteration:
        return iter(())
    return prepend(first, chunks)


def download(request, chunks: Iterator[bytes], filename: str, content_type: str) -> StreamingHttpResponse:
    """A streamed attachment named ``filename``."""
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    chunks = _first_ready(chunks)
    content = _pull(chunks) if isinstance(django_request, ASGIRequest) else chunks
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    # An export is a snapshot of a query; proxies must not cache it across users.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
