#!/usr/bin/env bash
# ensure_postgres_image: the local image envforge/postgres:15 that the tests' Testcontainers fixture starts.
# No image registry is reachable here, so it is built once from Debian's own packages:
#   debootstrap --variant=minbase --include=postgresql-15 bookworm ROOTFS MIRROR   (MIRROR from the machine's apt
#   sources, never a hard-coded host), plus ops/images/postgres-entrypoint.sh, then `docker import`.
# The image carries ENVFORGE_IMAGE_RECIPE (a hash of the entrypoint's code and the build recipe): when either
# changes, the next run rebuilds it. A fresh build is smoke-tested (start, log line, password login) before it is kept.
# Needs a running engine (ops/lib/docker.sh). Source it and call ensure_postgres_image, or run it
# (`ops/lib/pg-image.sh --verify` re-runs the smoke test of the existing image).
#   ENVFORGE_DEBIAN_MIRROR  overrides the mirror read from the apt sources
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=docker.sh
source "$ROOT/ops/lib/docker.sh"

ENVFORGE_PG_IMAGE=envforge/postgres:15
ENVFORGE_PG_IMAGE_SUITE=bookworm
ENVFORGE_PG_IMAGE_ENTRYPOINT="$ROOT/ops/images/postgres-entrypoint.sh"
ENVFORGE_PG_IMAGE_CHANGES=(
  -c 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]'
  -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  -c 'ENV PGDATA=/var/lib/postgresql/data'
  -c 'ENV LANG=C.UTF-8'
  -c 'EXPOSE 5432'
)

# The Debian archive the machine's apt uses for the bookworm suite itself (not -security, not -updates):
# deb822 stanzas in /etc/apt/sources.list.d/*.sources (URIs:/Suites:), or one-line "deb" entries in *.list.
debian_mirror() {
  if [ -n "${ENVFORGE_DEBIAN_MIRROR:-}" ]; then
    printf '%s\n' "$ENVFORGE_DEBIAN_MIRROR"
    return 0
  fi
  local suite="$ENVFORGE_PG_IMAGE_SUITE" files=() f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  [ "${#files[@]}" -gt 0 ] || die "no apt sources on this machine (/etc/apt/sources.list{,.d})"
  uri="$(
    for f in "${files[@]}"; do
      case "$f" in
        *.sources)
          awk -v suite="$suite" '
            function flush() {
              if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/ && (" " suites " ") ~ ("[ \t]" suite "[ \t]")) {
                n = split(uris, u, /[ \t]+/); for (i = 1; i <= n; i++) if (u[i] != "") { print u[i]; break }
              }
              types = ""; uris = ""; suites = ""; enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($0) ~ /^types:/   { sub(/^[^:]*:[ \t]*/, ""); types = $0; next }
            tolower($0) ~ /^uris:/    { sub(/^[^:]*:[ \t]*/, ""); uris = $0; next }
            tolower($0) ~ /^suites:/  { sub(/^[^:]*:[ \t]*/, ""); suites = $0; next }
            tolower($0) ~ /^enabled:/ { sub(/^[^:]*:[ \t]*/, ""); enabled = tolower($0); next }
            END { flush() }' "$f"
          ;;
        *)
          # deb [options] URI SUITE COMPONENT...
          awk -v suite="$suite" '
            $1 == "deb" {
              i = 2
              if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
              if ($(i + 1) == suite) print $i
            }' "$f"
          ;;
      esac
    done | awk 'NR == 1'
  )"
  [ -n "$uri" ] || die "no '$suite' suite in the apt sources (${files[*]}); set ENVFORGE_DEBIAN_MIRROR"
  printf '%s\n' "${uri%/}"
}

_pg_image_recipe() {
  {
    # Comments and blank lines do not count: editing them does not force a rebuild.
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$ENVFORGE_PG_IMAGE_ENTRYPOINT"
    printf '%s\n' "suite=$ENVFORGE_PG_IMAGE_SUITE variant=minbase include=postgresql-15 trim=v1" "${ENVFORGE_PG_IMAGE_CHANGES[@]}"
  } | sha256sum | cut -c1-16
}

_pg_image_current() {
  local recipe="$1"
  docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$ENVFORGE_PG_IMAGE" 2>/dev/null \
    | grep -x "ENVFORGE_IMAGE_RECIPE=$recipe" >/dev/null
}

# Unmounts whatever debootstrap may have left mounted under DIR (proc, sys, dev), deepest first.
_umount_under() {
  local dir="$1" m
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r)
}

_pg_image_cleanup() {
  local dir="$1"
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  _umount_under "$dir"
  rm -rf --one-file-system "$dir" 2>/dev/null || true
}

# verify_postgres_image [IMAGE]: starts a container with a password, waits for the ready line, logs in with psql
# over a published loopback port, then removes the container.
verify_postgres_image() {
  local image="${1:-$ENVFORGE_PG_IMAGE}" name="envforge-pg-smoke-$$" pw="smoke-$RANDOM$RANDOM" port cid rc=0
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client-15
  docker rm -f "$name" >/dev/null 2>&1 || true
  cid="$(docker run -d --name "$name" -e POSTGRES_PASSWORD="$pw" -e POSTGRES_DB=smoke -p 127.0.0.1::5432 "$image")"
  # grep reads all the log (no -q): under pipefail an early exit would fail the pipeline with SIGPIPE.
  _pg_smoke_ready() { docker logs "$cid" 2>&1 | grep 'database system is ready to accept connections' >/dev/null; }
  if wait_until 120 "the test PostgreSQL container to log it is ready" _pg_smoke_ready; then
    port="$(docker port "$cid" 5432/tcp | awk -F: 'NR == 1 { print $NF }')"
    if ! wait_until 30 "a password login to the test PostgreSQL container" \
      env PGPASSWORD="$pw" PGCONNECT_TIMEOUT=5 psql -X -h 127.0.0.1 -p "$port" -U postgres -d smoke -tAc 'select 1'; then
      rc=1
    elif [ "$(PGPASSWORD="wrong-$pw" psql -X -h 127.0.0.1 -p "$port" -U postgres -d smoke -tAc 'select 1' 2>/dev/null || true)" = 1 ]; then
      printf 'error: the image accepts a wrong password\n' >&2
      rc=1
    fi
  else
    rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    printf 'error: smoke test of %s failed; container log:\n' "$image" >&2
    docker logs "$cid" 2>&1 | tail -n 30 >&2 || true
  fi
  docker rm -f "$cid" >/dev/null 2>&1 || true
  return "$rc"
}

ensure_postgres_image() {
  local recipe
  recipe="$(_pg_image_recipe)"
  _pg_image_current "$recipe" && return 0

  require_root "building $ENVFORGE_PG_IMAGE"
  # One build at a time on this machine; a second caller waits for it and then finds the image.
  mkdir -p /var/lock
  exec 9>/var/lock/envforge-pg-image.lock
  if ! flock -w 900 9; then
    die "another build of $ENVFORGE_PG_IMAGE holds /var/lock/envforge-pg-image.lock"
  fi
  if _pg_image_current "$recipe"; then
    exec 9>&-
    return 0
  fi

  apt_install debootstrap
  local mirror started=$SECONDS dir
  mirror="$(debian_mirror)"
  dir="$(mktemp -d /var/tmp/envforge-pg-image.XXXXXX)"
  # shellcheck disable=SC2064 # expand $dir now: the trap must clean this very directory.
  trap "_pg_image_cleanup '$dir'" EXIT
  log "building $ENVFORGE_PG_IMAGE: debootstrap minbase + postgresql-15 from $mirror (about a minute, once)"
  local rootfs="$dir/rootfs" blog=/var/log/envforge-pg-image.log
  if ! debootstrap --variant=minbase --include=postgresql-15 "$ENVFORGE_PG_IMAGE_SUITE" "$rootfs" "$mirror" >"$blog" 2>&1; then
    tail -n 30 "$blog" >&2
    [ -f "$rootfs/debootstrap/debootstrap.log" ] && tail -n 30 "$rootfs/debootstrap/debootstrap.log" >&2
    die "debootstrap failed; see $blog"
  fi
  _umount_under "$rootfs"

  # The server runs from PGDATA, not from the cluster the package's postinst created. Drop the .deb cache, docs and
  # message translations (the server logs in English): every container start copies the rootfs (vfs storage).
  rm -rf "$rootfs/var/lib/postgresql/15" "$rootfs/etc/postgresql/15" \
    "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* \
    "$rootfs/usr/share/doc" "$rootfs/usr/share/man" "$rootfs/usr/share/info" "$rootfs/usr/share/i18n" \
    "$rootfs/usr/share/locale/"* "$rootfs/debootstrap"
  [ -x "$rootfs/usr/lib/postgresql/15/bin/postgres" ] || die "postgresql-15 is missing from the debootstrapped rootfs"
  [ -x "$rootfs/usr/bin/setpriv" ] || [ -x "$rootfs/bin/su" ] || [ -x "$rootfs/usr/bin/su" ] \
    || die "neither setpriv nor su in the rootfs: the entrypoint cannot drop to the postgres user"
  install -D -m 0755 "$ENVFORGE_PG_IMAGE_ENTRYPOINT" "$rootfs/usr/local/bin/docker-entrypoint.sh"

  log "importing $ENVFORGE_PG_IMAGE"
  local candidate="$ENVFORGE_PG_IMAGE-candidate"
  if ! tar --numeric-owner -C "$rootfs" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' --exclude='./tmp/*' \
    -c . | docker import "${ENVFORGE_PG_IMAGE_CHANGES[@]}" -c "ENV ENVFORGE_IMAGE_RECIPE=$recipe" - "$candidate" >/dev/null; then
    die "docker import of the rootfs failed"
  fi
  _pg_image_cleanup "$dir"
  trap - EXIT

  log "smoke-testing $ENVFORGE_PG_IMAGE"
  if ! verify_postgres_image "$candidate"; then
    docker rmi "$candidate" >/dev/null 2>&1 || true
    die "the freshly built $ENVFORGE_PG_IMAGE does not work (see above)"
  fi
  local previous
  previous="$(docker image inspect -f '{{.Id}}' "$ENVFORGE_PG_IMAGE" 2>/dev/null || true)"
  docker tag "$candidate" "$ENVFORGE_PG_IMAGE"
  docker rmi "$candidate" >/dev/null
  # The image this one replaces would stay behind untagged, a full copy of the rootfs (vfs): drop it unless in use.
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "$ENVFORGE_PG_IMAGE")" ]; then
    docker rmi "$previous" >/dev/null 2>&1 || true
  fi
  exec 9>&-
  log "built $ENVFORGE_PG_IMAGE in $((SECONDS - started)) s"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker_engine
  if [ "${1:-}" = --verify ]; then
    verify_postgres_image
    log "$ENVFORGE_PG_IMAGE works"
  else
    ensure_postgres_image
  fi
fi
