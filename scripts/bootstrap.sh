#!/bin/sh
# Installs what Pommai needs on Debian 12 / Raspberry Pi OS (bookworm) with Node 20:
# the Debian packages it relies on (only when missing), the npm packages (only when
# package-lock.json changed since the last install) and the compiled JavaScript.
set -eu
cd "$(dirname "$0")/.."

say() { printf 'pommai: %s\n' "$*" >&2; }

# --- Node -------------------------------------------------------------------
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  say "Node.js 20 or newer is needed (found: $(node -v 2>/dev/null || echo none))."
  exit 1
fi

# --- Debian packages ----------------------------------------------------------
# espeak-ng: offline voice; pocketsphinx(+en-us): offline recognition;
# sox and alsa-utils: sound files, and arecord/aplay for a real microphone and speaker;
# libgpiod-dev and gpiod: what the optional npm package node-libgpiod (the GPIO button and LED) builds against.
packages="espeak-ng pocketsphinx pocketsphinx-en-us sox alsa-utils libgpiod-dev gpiod"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "${POMMAI_SKIP_APT:-}" = 1 ]; then
    say "missing Debian packages:$missing (POMMAI_SKIP_APT=1, not installing)"
  else
    say "installing Debian packages:$missing"
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
    if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
      say "cannot install them here (need apt-get and root or sudo). Install them by hand:"
      say "  sudo apt-get install$missing"
      exit 1
    fi
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null; }; then
      say "apt-get could not install:$missing. Install them by hand and run this again."
      exit 1
    fi
  fi
fi

# --- npm packages ---------------------------------------------------------------
stamp=node_modules/.pommai-lock
want=$(cat package.json package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm packages (native modules build from source; this takes a few minutes the first time)"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  npx --no-install tap build >/dev/null 2>&1 || true
  echo "$want" > "$stamp"
fi

# --- compiled JavaScript ----------------------------------------------------------
# Only the product (tsconfig.build.json): the benches build apart, with npm run build:bench.
# Rebuilt when a source is newer than the last build, or the set of sources or packages changed.
if [ ! -f dist/.built ] || [ "$(cat dist/.built)" != "$(sh scripts/build-stamp.sh)" ] || [ -n "$(find protocol log audio hardware device cloud cli tsconfig.json tsconfig.build.json package.json -newer dist/.built \( -name '*.ts' -o -name '*.json' \) 2>/dev/null | head -1)" ]; then
  say "compiling TypeScript"
  sh scripts/build.sh
fi
