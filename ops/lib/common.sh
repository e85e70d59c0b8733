#!/usr/bin/env bash
# Shared helpers for the ops/ scripts. Source it; it does nothing by itself.
#   ROOT, ENVFORGE_ROOT  the repository root (resolved from this file's path, so any cwd works)
#   log MSG...         one "==> " progress line on stderr (stdout stays clean for callers like token.sh)
#   die MSG...         an error line on stderr, then exit 1
#   apt_install PKG... installs Debian packages that are missing (apt-get update only when needed)
#   wait_until SECONDS WHAT CMD...  polls CMD until it succeeds or the deadline passes (then returns 1)
#   without_inherited_fds CMD...    runs CMD with the file descriptors above 2 closed (for daemons)
#   ensure_nuget_shim  packs the Marten restore shim (ops/nuget-shim/build.sh) before any restore
#   build_api          dotnet build of src/Api in Release (output shown only on failure)
set -euo pipefail

if [ -n "${ENVFORGE_COMMON_SH_LOADED:-}" ]; then
  # shellcheck disable=SC2317 # exit only when executed rather than sourced
  return 0 2>/dev/null || exit 0
fi
ENVFORGE_COMMON_SH_LOADED=1

ENVFORGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROOT="$ENVFORGE_ROOT"
export ENVFORGE_ROOT

# No banners, no telemetry prompts from the .NET CLI in these scripts' output.
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '==> %s\n' "$*" >&2; }

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "$1 needs root (apt-get, services); run it as root"
}

# Runs "$@" and shows its output only when it fails (keeps the scripts quiet on success).
run_quiet() {
  local out rc=0
  out="$(mktemp)"
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf 'error: command failed (exit %s): %s\n' "$rc" "$*" >&2
    tail -n "${RUN_QUIET_TAIL:-60}" "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}

# without_inherited_fds CMD...: runs CMD with every file descriptor above 2 closed. For commands that leave a
# daemon behind (dockerd, the PostgreSQL server): it must not hold a pipe of whoever ran this script (a CI
# runner waiting for end-of-file would wait for the daemon).
without_inherited_fds() {
  (
    local fd n
    for fd in /proc/self/fd/*; do
      n="${fd##*/}"
      if [ "$n" -gt 2 ] 2>/dev/null; then
        eval "exec $n>&-" 2>/dev/null || true
      fi
    done
    exec "$@"
  )
}

# wait_until SECONDS DESCRIPTION CMD...: polls CMD (output discarded) every half second until it succeeds.
# Returns 1 once SECONDS have passed; never waits without a deadline.
wait_until() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  while true; do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'error: timed out after %ss waiting for %s\n' "$seconds" "$what" >&2
      return 1
    fi
    sleep 0.5
  done
}

_pkg_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

_apt_lists_present() {
  compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null
}

ENVFORGE_APT_UPDATED_THIS_RUN=""
_apt_update() {
  log "apt-get update"
  run_quiet env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update
  ENVFORGE_APT_UPDATED_THIS_RUN=1
}

# apt_install PKG...: installs the missing ones. Runs apt-get update first when the machine has no package
# lists yet, and once more (at most once per script run) when the install fails with lists present
# (stale lists: "Unable to locate package", 404 on a superseded version).
apt_install() {
  local missing=() p
  for p in "$@"; do
    _pkg_installed "$p" || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  require_root "installing ${missing[*]}"
  if ! _apt_lists_present; then
    _apt_update
  fi
  log "apt-get install ${missing[*]}"
  local cmd=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold
    --no-install-recommends install "${missing[@]}")
  if run_quiet "${cmd[@]}" 2>/dev/null; then
    return 0
  fi
  [ -n "$ENVFORGE_APT_UPDATED_THIS_RUN" ] && { run_quiet "${cmd[@]}"; return; }
  _apt_update
  run_quiet "${cmd[@]}"
}

# The local feed that nuget.config lists first; every restore needs it (see README, "Why a NuGet shim").
ensure_nuget_shim() {
  bash "$ROOT/ops/nuget-shim/build.sh"
}

export ENVFORGE_API_DLL="$ROOT/src/Api/bin/Release/net10.0/EnvForge.Api.dll"

build_api() {
  ensure_nuget_shim
  log "building the API (Release)"
  RUN_QUIET_TAIL=200 run_quiet dotnet build "$ROOT/src/Api/EnvForge.Api.csproj" -c Release -nologo -v quiet
}
