#!/usr/bin/env bash
# The local images the tests use, built without a registry:
#   envforge/postgres:15     PostgreSQL for Testcontainers (ops/lib/pg-image.sh: debootstrap, ~1 min once)
#   envforge/runtime:latest  the workspace service runtime image for tests (busybox: sh, httpd, env)
# Source it and call ensure_test_images (or the single ensure_* functions), or run it.
set -euo pipefail
# shellcheck source=pg-image.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg-image.sh"

ENVFORGE_RUNTIME_IMAGE=envforge/runtime:latest

ensure_runtime_image() {
  docker image inspect "$ENVFORGE_RUNTIME_IMAGE" >/dev/null 2>&1 && return 0
  apt_install busybox-static
  local dir
  dir="$(mktemp -d /var/tmp/envforge-runtime-image.XXXXXX)"
  log "building $ENVFORGE_RUNTIME_IMAGE (busybox)"
  mkdir -p "$dir/rootfs/bin" "$dir/rootfs/srv" "$dir/rootfs/tmp"
  chmod 1777 "$dir/rootfs/tmp"
  cp /bin/busybox "$dir/rootfs/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/rootfs/bin/$applet"
  done
  echo "envforge runtime" >"$dir/rootfs/srv/index.html"
  tar --numeric-owner -C "$dir/rootfs" -c . | docker import -c 'ENV PATH=/bin' - "$ENVFORGE_RUNTIME_IMAGE" >/dev/null
  rm -rf --one-file-system "$dir"
}

ensure_test_images() {
  ensure_postgres_image
  ensure_runtime_image
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker_engine
  ensure_test_images
fi
