#!/usr/bin/env bash
# Every test suite from one command, on a fresh Debian machine too: the README's "All tests" (npm run test:all)
# and what .ci/run runs. Installs what npm cannot — the real peers of the integration tests, Chromium, Node 24 and
# code-server for the end-to-end suite — then node_modules, then npm test. Idempotent: what is installed already is
# kept, so a second run goes straight to the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages need root: directly as root (CI), otherwise through sudo when the machine has it.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "test-all: installing Debian packages needs root; run as root, or first: apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

# Real peers for the integration tests (nginx, HAProxy, Apache httpd with mod_ssl, Caddy, openssl s_server;
# ModSecurity with the OWASP CRS for the WAF lab), curl, GNU time and jq for the benchmarks.
packages=(nginx libnginx-mod-http-modsecurity modsecurity-crs haproxy apache2 caddy openssl curl time jq ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test-all: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Debian starts nginx, haproxy, apache2 and caddy as services on install (where systemd runs; apache2 and caddy
  # both want :80, one of them fails, and apt-get still succeeds); the tests run their own on loopback ports.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for binary in /usr/sbin/nginx /usr/sbin/haproxy /usr/sbin/apache2 /usr/bin/caddy /usr/bin/openssl; do
  [ -x "$binary" ] || { echo "test-all: $binary is missing after the install" >&2; exit 1; }
done
# Apache's TLS module (from apache2-bin) is a shared object, not an executable.
[ -f /usr/lib/apache2/modules/mod_ssl.so ] || { echo "test-all: /usr/lib/apache2/modules/mod_ssl.so is missing after the install" >&2; exit 1; }

# node_modules exactly as package-lock.json says. npm ci starts from nothing (~20 s), so it is skipped when the
# last one here installed this very lock file with this Node; any change to either installs again.
stamp=node_modules/.mtls-probe-npm-ci
installed="$(sha256sum package-lock.json | cut -d' ' -f1) node $(node --version)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$installed" ]; then
  npm ci --no-audit
  echo "$installed" >"$stamp"
fi

# A real VS Code for the end-to-end suite, and Chromium for the render suite: cached outside the repository, keyed
# by version (a fresh machine installs them once, in about three minutes).
scripts/install-e2e-harness.sh >/dev/null

# Every peer is installed now: a test that needs one must fail, never skip.
unset MTLS_PROBE_ALLOW_MISSING_PEERS
exec npm test
