#!/usr/bin/env bash
# Install the Debian packages the demo and the tests use, when missing.
# Without root (or apt), say what is missing and carry on: tests that need a
# missing binary skip locally and fail in CI.
set -u
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/chromium ] || need+=(chromium)
# kubectl renders the Kustomize manifests of deploy/kubernetes for their offline validation.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
# nginx checks the shipped site config (deploy/vm/nginx) and fronts the production-shaped run.
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
# gettext: makemessages/msgfmt check the Korean catalogue (tests/kcloud/test_i18n.py).
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
# The production-shaped run (make e2e) starts its own PostgreSQL cluster and Redis server.
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# A Hangul font for Korean management reports (the PDF and its chart; exports/report/fonts.py).
[ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ] || need+=(fonts-nanum)
[ ${#need[@]} -eq 0 ] && exit 0
mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || { echo "Could not install ${need[*]} with apt-get." >&2; exit 1; }
else
  echo "Missing Debian packages: ${need[*]}. Install them as root: apt-get install ${need[*]}" >&2
fi
