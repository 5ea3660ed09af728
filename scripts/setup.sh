#!/usr/bin/env bash
# Sets up a machine for XSC Desktop: the system libraries Qt needs and the PostgreSQL server the tests start
# (when root and missing), then .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

QT_LIBS="libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfreetype6 libfontconfig1 libdbus-1-3 fonts-dejavu-core"
XVFB_LIBS="xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0"
# Team mode runs on PostgreSQL; the tests start their own server from these binaries (initdb, pg_ctl).
PG_PKGS="postgresql"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in $QT_LIBS $XVFB_LIBS $PG_PKGS; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
fi
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the system packages XSC Desktop needs:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "System packages are missing (Qt libraries, PostgreSQL for the tests). Run: sudo apt-get install -y$missing" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
