#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: PostgreSQL, Redis,
# poppler (pdfsig) with NSS tools to trust the test CA, Chromium, zbar (reads the records' QR codes),
# and the libraries and fonts WeasyPrint renders with.
set -euo pipefail

packages=(postgresql redis-server poppler-utils libnss3-tools zbar-tools chromium fonts-dejavu-core
          libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing Debian packages: ${missing[*]}" >&2
  echo "Install them (sudo apt-get install ${missing[*]}) and run make test again." >&2
  exit 1
fi
echo "Installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
