#!/usr/bin/env bash
# Installs what `npm start` and `npm test` need (both run it; so do test:integration and test:ui): Debian packages and
# VS Code's server build (code-server). Quick when everything is there; safe when two runs start it at once.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
CACHE_DIR="${GIS_VSCODE_CACHE:-$HOME/.cache/gemini-image-studio}"
TARGET="$CACHE_DIR/code-server-$CODE_SERVER_VERSION"
MARKER="$TARGET/.installed"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
[ -f /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-vscode: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install-vscode: apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f "$MARKER" ]; then
  echo "install-vscode: code-server $CODE_SERVER_VERSION already installed in $TARGET"
  exit 0
fi

# One install at a time per cache (npm start and npm test in two terminals, several checkouts sharing ~/.cache):
# the second waits for the first, then finds its marker.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.install.lock"
flock 9
if [ -f "$MARKER" ]; then
  echo "install-vscode: code-server $CODE_SERVER_VERSION was installed in $TARGET meanwhile"
  exit 0
fi

echo "install-vscode: installing code-server $CODE_SERVER_VERSION into $TARGET (about 80 s)"
rm -rf "$TARGET"
mkdir -p "$TARGET"
# @vscode/ripgrep downloads rg unless its cache already holds the archive: give it Debian's rg.
rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
mkdir -p "$rg_cache"
tar czf "$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg
(
  cd "$TARGET"
  echo '{"name":"offline-vscode","private":true}' > package.json
  export npm_config_nodedir=/usr npm_config_unsafe_perm=true npm_config_yes=true
  npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" > install.log 2>&1 \
    || { tail -40 install.log >&2; exit 1; }
)
test -f "$TARGET/node_modules/code-server/lib/vscode/out/server-main.js"
touch "$MARKER"
echo "install-vscode: done"
