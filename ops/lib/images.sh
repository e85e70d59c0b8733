#!/usr/bin/env bash
# The local images the tests and the Local provider use, built without a registry:
#   envforge/postgres:15       PostgreSQL for Testcontainers (ops/lib/pg-image.sh: debootstrap, ~1 min once)
#   envforge/runtime:latest    the workspace service runtime image for tests (busybox: sh, httpd, env)
#   envforge/debian:bookworm   the Local provider's org host and the sample app's base (debootstrap, ~1 min once):
#                              Debian minbase with sudo, procps and python3, and a `dev` login (uid 1000)
# Each is built only when missing (or, for the Debian images, when its recipe changed): a second run costs nothing.
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

ENVFORGE_DEBIAN_IMAGE=envforge/debian:bookworm
ENVFORGE_DEBIAN_IMAGE_PACKAGES=sudo,procps,python3
ENVFORGE_DEBIAN_IMAGE_CHANGES=(
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  -c 'ENV LANG=C.UTF-8'
  -c 'CMD ["/bin/bash"]'
)

_debian_image_recipe() {
  printf '%s\n' "suite=$ENVFORGE_PG_IMAGE_SUITE variant=minbase include=$ENVFORGE_DEBIAN_IMAGE_PACKAGES user=dev:1000 trim=v1" \
    "${ENVFORGE_DEBIAN_IMAGE_CHANGES[@]}" | sha256sum | cut -c1-16
}

_debian_image_current() {
  docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$ENVFORGE_DEBIAN_IMAGE" 2>/dev/null \
    | grep -x "ENVFORGE_IMAGE_RECIPE=$1" >/dev/null
}

# ensure_debian_image: envforge/debian:bookworm, the Local provider's org host (a long-lived container a `dev` login
# works in, where the root-elevation scripts run: sudo, visudo, ps, awk, xargs) and the base of the sample app's image.
ensure_debian_image() {
  local recipe
  recipe="$(_debian_image_recipe)"
  _debian_image_current "$recipe" && return 0

  require_root "building $ENVFORGE_DEBIAN_IMAGE"
  mkdir -p /var/lock
  exec 8>/var/lock/envforge-debian-image.lock
  flock -w 900 8 || die "another build of $ENVFORGE_DEBIAN_IMAGE holds /var/lock/envforge-debian-image.lock"
  if _debian_image_current "$recipe"; then
    exec 8>&-
    return 0
  fi

  apt_install debootstrap
  local mirror started=$SECONDS dir
  mirror="$(debian_mirror)"
  dir="$(mktemp -d /var/tmp/envforge-debian-image.XXXXXX)"
  # shellcheck disable=SC2064 # expand $dir now: the trap must clean this very directory.
  trap "_pg_image_cleanup '$dir'" EXIT
  log "building $ENVFORGE_DEBIAN_IMAGE: debootstrap minbase + $ENVFORGE_DEBIAN_IMAGE_PACKAGES from $mirror (about a minute, once)"
  local rootfs="$dir/rootfs" blog=/var/log/envforge-debian-image.log
  if ! debootstrap --variant=minbase --include="$ENVFORGE_DEBIAN_IMAGE_PACKAGES" "$ENVFORGE_PG_IMAGE_SUITE" "$rootfs" "$mirror" >"$blog" 2>&1; then
    tail -n 30 "$blog" >&2
    die "debootstrap failed; see $blog"
  fi
  _umount_under "$rootfs"
  chroot "$rootfs" useradd --create-home --uid 1000 --user-group --shell /bin/bash dev
  rm -rf "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* \
    "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/locale/"* "$rootfs/debootstrap"
  local tool
  for tool in sudo visudo ps awk xargs setsid python3; do
    chroot "$rootfs" /bin/sh -c "command -v $tool" >/dev/null || die "$tool is missing from the debootstrapped rootfs"
  done

  log "importing $ENVFORGE_DEBIAN_IMAGE"
  if ! tar --numeric-owner -C "$rootfs" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' \
    -c . | docker import "${ENVFORGE_DEBIAN_IMAGE_CHANGES[@]}" -c "ENV ENVFORGE_IMAGE_RECIPE=$recipe" - "$ENVFORGE_DEBIAN_IMAGE" >/dev/null; then
    die "docker import of the rootfs failed"
  fi
  _pg_image_cleanup "$dir"
  trap - EXIT
  docker run --rm --network none "$ENVFORGE_DEBIAN_IMAGE" sh -c 'id dev && sudo -V >/dev/null && python3 -c "import http.server"' >/dev/null \
    || die "the freshly built $ENVFORGE_DEBIAN_IMAGE does not work"
  exec 8>&-
  log "built $ENVFORGE_DEBIAN_IMAGE in $((SECONDS - started)) s"
}

# The Local provider's images: the org host / service base. Service images (the sample app's) are built from the
# workspace's own Dockerfile at wake, cached by the build context's content.
ensure_local_images() {
  ensure_debian_image
}

ensure_test_images() {
  ensure_postgres_image
  ensure_runtime_image
  ensure_local_images
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker_engine
  ensure_test_images
fi
