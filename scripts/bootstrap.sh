#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine: system packages, then npm ci
# (which builds the native addon). Quiet when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
if [ -z "${LIBTORCH:-}" ] && [ "${LIBTORCH_USE_PYTORCH:-}" != "1" ]; then
  dpkg -s libtorch-dev >/dev/null 2>&1 || need+=(libtorch-dev)
  dpkg -s libgloo-dev >/dev/null 2>&1 || need+=(libgloo-dev)  # c10d's ProcessGroupGloo headers
  dpkg -s libdnnl-dev >/dev/null 2>&1 || [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || need+=(libdnnl-dev)  # oneDNN's matmul primitive for int8 layers
fi
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
dpkg -s libjpeg62-turbo-dev >/dev/null 2>&1 || [ -f /usr/include/jpeglib.h ] || need+=(libjpeg62-turbo-dev)  # JPEG decoding as Pillow does it, in the image addon
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v make >/dev/null 2>&1 || need+=(make)

if [ ${#need[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${need[*]}"
  if [ "$(id -u)" = "0" ]; then
    echo "hubtune bootstrap: installing ${need[*]} ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") >/tmp/hubtune-apt.log 2>&1 \
      || { echo "hubtune bootstrap: apt-get failed, see /tmp/hubtune-apt.log" >&2; exit 1; }
  else
    echo "hubtune bootstrap: missing system packages. Run as root:" >&2
    echo "  sudo sh -c '$cmd'" >&2
    exit 1
  fi
fi

# Chromium for the browser tests (optional: without it they skip, saying so).
if ! command -v chromium >/dev/null 2>&1 && [ -z "${HUBTUNE_CHROMIUM:-}" ] && [ "$(id -u)" = "0" ]; then
  echo "hubtune bootstrap: installing chromium for the browser tests ..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium) >/tmp/hubtune-apt-chromium.log 2>&1 \
    || echo "hubtune bootstrap: chromium could not be installed (see /tmp/hubtune-apt-chromium.log): the browser tests will skip"
fi

# npm ci when dependencies or the addon are missing or older than the lockfile / native sources.
stamp=node_modules/.hubtune-stamp
want="$(cat package-lock.json binding.gyp native/*.cc native/*.h scripts/libtorch-config.mjs 2>/dev/null | sha256sum | cut -c1-16) ${LIBTORCH:-} ${LIBTORCH_USE_PYTORCH:-}"
if [ ! -f build/Release/hubtune_native.node ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "hubtune bootstrap: npm ci (builds the native addon) ..."
  npm ci --no-audit --no-fund --loglevel=error >/tmp/hubtune-npm.log 2>&1 \
    || { tail -40 /tmp/hubtune-npm.log >&2; echo "hubtune bootstrap: npm ci failed, full log in /tmp/hubtune-npm.log" >&2; exit 1; }
  echo "$want" > "$stamp"
fi
