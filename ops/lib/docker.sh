#!/usr/bin/env bash
# ensure_docker_engine: a Docker engine that answers on unix:///var/run/docker.sock.
# The docker on PATH (/usr/local/bin, 28.x) may be a client only. When nothing answers, this installs Debian's
# docker.io (engine 20.10, API 1.41) if dockerd is missing and starts `dockerd --storage-driver=vfs` in the
# background (setsid + nohup, log in /var/log/envforge-dockerd.log), so it outlives the script.
# Exports DOCKER_HOST (when unset) and, only if the client needs it, DOCKER_API_VERSION=1.41.
# Source it and call ensure_docker_engine, or run it.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

ENVFORGE_DOCKERD_LOG=/var/log/envforge-dockerd.log

_dockerd_bin() {
  command -v dockerd 2>/dev/null || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; } || { [ -x /usr/bin/dockerd ] && echo /usr/bin/dockerd; } || true
}

# Succeeds when any client on this machine gets an answer from the engine.
_docker_answers() {
  timeout 15 docker info >/dev/null 2>&1 \
    || DOCKER_API_VERSION=1.41 timeout 15 docker info >/dev/null 2>&1 \
    || { [ -x /usr/bin/docker ] && timeout 15 /usr/bin/docker info >/dev/null 2>&1; }
}

# Once the engine answers: the docker on PATH as it is, else pinned to API 1.41 (DOCKER_API_VERSION), else Debian's
# own client (/usr/bin/docker first on PATH).
_select_docker_client() {
  if timeout 15 docker version >/dev/null 2>&1; then
    return 0
  fi
  if [ -z "${DOCKER_API_VERSION:-}" ] && DOCKER_API_VERSION=1.41 timeout 15 docker version >/dev/null 2>&1; then
    export DOCKER_API_VERSION=1.41
    log "docker client pinned to API 1.41 (DOCKER_API_VERSION)"
    return 0
  fi
  if [ -x /usr/bin/docker ] && timeout 15 /usr/bin/docker version >/dev/null 2>&1; then
    export PATH="/usr/bin:$PATH"
    log "using Debian's docker client (/usr/bin/docker)"
    return 0
  fi
  die "the Docker engine answers, but the docker client on PATH cannot talk to it"
}

# The dockerd of /var/run/docker.sock is alive (maybe still starting): its pid file names a live dockerd.
_dockerd_running() {
  local pid="" name=""
  read -r pid 2>/dev/null </var/run/docker.pid || return 1
  [ -n "$pid" ] && read -r name <"/proc/$pid/comm" 2>/dev/null && [ "$name" = dockerd ]
}

ensure_docker_engine() {
  if [ -z "${DOCKER_HOST:-}" ]; then
    export DOCKER_HOST=unix:///var/run/docker.sock
  fi
  command -v docker >/dev/null 2>&1 || apt_install docker.io

  if ! _docker_answers; then
    require_root "ensure_docker_engine"
    if [ -z "$(_dockerd_bin)" ]; then
      apt_install docker.io
    fi
    local dockerd
    dockerd="$(_dockerd_bin)"
    [ -n "$dockerd" ] || die "dockerd not found after installing docker.io"
    # One may be starting already (another script, the package's init script): never start a second.
    if ! _dockerd_running; then
      log "starting dockerd (vfs storage; log in $ENVFORGE_DOCKERD_LOG)"
      without_inherited_fds setsid nohup "$dockerd" --storage-driver=vfs >>"$ENVFORGE_DOCKERD_LOG" 2>&1 </dev/null &
      disown || true
    fi
    if ! wait_until 60 "the Docker engine to answer" _docker_answers; then
      tail -n 30 "$ENVFORGE_DOCKERD_LOG" >&2 || true
      die "the Docker engine did not come up; see $ENVFORGE_DOCKERD_LOG"
    fi
  fi
  _select_docker_client
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  ensure_docker_engine
  log "Docker engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null) ready"
fi
