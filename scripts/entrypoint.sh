#!/usr/bin/env bash
# The image's entrypoint (and what the systemd units run): one role per process.
#   web      the ASGI server (daphne) on $PORT (8000): pages, API, WebSocket and SSE streams;
#            daphne's own access log is off: the app logs one JSON line per request (kcloud/logs.py)
#   worker   the background worker (huey): alert evaluation, notifications, scheduled reports
#   migrate  apply database migrations (run once per upgrade, before the new web instances)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python}"
case "${1:-web}" in
  web) exec "$python" -m daphne -b "${HOST:-0.0.0.0}" -p "${PORT:-8000}" --proxy-headers \
    --access-log /dev/null kcloud.asgi:application ;;
  worker) exec "$python" manage.py run_huey --workers "${WORKER_THREADS:-2}" ;;
  migrate) exec "$python" manage.py migrate --noinput ;;
  *) exec "$@" ;;
esac
