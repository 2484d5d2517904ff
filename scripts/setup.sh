#!/usr/bin/env bash
# Installs everything `make test`, `make demo` and `make bench` need on Debian 12.
# Idempotent: each step checks before it acts. Runs as root, or through sudo.
#   scripts/setup.sh           everything (Debian packages, libsodium's sources, npm packages)
#   scripts/setup.sh --build   only what the wasm build needs (`make pack`): its Debian packages
#                              and libsodium's sources; no npm, nothing under tests/
set -euo pipefail
MODE=all
case "${1:-}" in
  "") ;;
  --build) MODE=build ;;
  *) echo "usage: scripts/setup.sh [--build]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEPS="$ROOT/.deps"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  build-essential cmake dpkg-dev pkg-config
  emscripten libsodium-dev nlohmann-json3-dev catch2 librust-blake3-dev libfmt-dev libfast-float-dev
  redis-server
  postgresql  # PostgreSQL 15 for postgresExactlyOnce tests (run as the postgres user)
  clang-14 libclang-rt-14-dev  # libFuzzer for tests/fuzz (libclang_rt.fuzzer)
  chromium  # headless browser of the Vite consumer test (tests/consumers)
)

# The wasm build alone (CMakeLists.txt with emcmake): CMake and make, Emscripten, BLAKE3's C
# sources, the header-only libraries, and apt-get source's tools for libsodium's sources.
BUILD_APT_PACKAGES=(
  cmake make dpkg-dev
  emscripten librust-blake3-dev nlohmann-json3-dev libfmt-dev libfast-float-dev
)
if [ "$MODE" = build ]; then APT_PACKAGES=("${BUILD_APT_PACKAGES[@]}"); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# libsodium's Debian source package needs a deb-src entry. We derive it from the
# machine's own deb entries, so whatever mirror the machine uses is the one we use.
SRC_LIST=/etc/apt/sources.list.d/jazzrpc-deb-src.sources
need_update=0
if [ ! -f "$SRC_LIST" ] && ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -e 's/^Types: *deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$SRC_LIST" >/dev/null
  else
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | $SUDO tee /etc/apt/sources.list.d/jazzrpc-deb-src.list >/dev/null
  fi
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ "$need_update" = 1 ]; then
  echo "setup: apt-get install ${missing[*]:-}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  if [ ${#missing[@]} -gt 0 ]; then
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# libsodium 1.0.18 sources for the wasm build.
if [ ! -f "$DEPS/libsodium/src/libsodium/crypto_sign/ed25519/ref10/open.c" ]; then
  echo "setup: fetching libsodium's Debian source package"
  mkdir -p "$DEPS/tmp"
  rm -rf "$DEPS/tmp/"* "$DEPS/libsodium"
  ( cd "$DEPS/tmp" && apt-get source --download-only -qq libsodium >/dev/null 2>&1 || apt-get source --download-only libsodium )
  tarball=$(ls "$DEPS"/tmp/libsodium_*.orig.tar.* | head -n1)
  mkdir -p "$DEPS/libsodium"
  tar -xf "$tarball" -C "$DEPS/libsodium" --strip-components=1
  rm -rf "$DEPS/tmp"
fi

if [ "$MODE" = build ]; then
  echo "setup --build: ok"
  exit 0
fi

# npm packages, from the lockfiles: the workspace's, and the interop tests' own
# (jazz-tools is large and only those tests use it).
# jazz-tools' lockfile names optional native packages for other platforms that the
# registry does not serve, which `npm ci` refuses; `npm install` installs the same
# locked versions and skips them.
npm_install() {
  local dir=$1 verb=$2 stamp="$1/node_modules/.jazzrpc-lock-stamp"
  [ -f "$dir/package-lock.json" ] || return 0
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "setup: npm $verb in ${dir#"$ROOT"/}"
    (cd "$dir" && npm "$verb" --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}
npm_install "$ROOT" ci
npm_install "$ROOT/tests/interop" install
echo "setup: ok"
