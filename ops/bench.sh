#!/usr/bin/env bash
# Write-path benchmark: the API's add-member command vs PostgreSQL's single-row commit limit (pgbench when installed, else
# a raw Npgsql loop) and raw Marten appends, 1 and 16 clients, on orgs of 10 and 10,000 members, on this machine.
# Usage: bash ops/bench.sh [--seconds N] [--warmup N] [--rounds N] [--clients 1,16] [--members-per-org 10,10000] [--limit pgbench|npgsql] [--daemon]
#        [--baseline REF]
# --baseline REF builds the API at git REF (say main) and runs it beside this tree's, on the same database, measured
# interleaved round by round: the report adds "API / baseline API", a change's effect measured in one run.
#
# Gateway benchmark: a small upstream reached directly vs through the dev-link gateway (a valid link to an awake
# workspace, seeded as events) and vs YARP's forwarder alone, 1 and 32 clients; targets gateway >= 0.8 x direct req/s
# and added p99 < 1 ms. Defaults: 5 s phases, 2 s warm-up, 3 rounds, a 100-byte body (--body 100,4096 for more sizes).
# --upstream-delay-ms N makes the upstream wait N ms before each answer (an app waiting on I/O) instead of answering at once.
# Usage: bash ops/bench.sh gateway [--seconds N] [--warmup N] [--rounds N] [--clients 1,32] [--body 100,4096] [--upstream-process] [--upstream-delay-ms N]
# Wallet benchmark: runtime debits through the wallet's per-wallet queue at 1 and 16 writers, on one wallet and on 16,
# beside raw Marten single-event appends in the same run; goals: one wallet at 16 writers >= 0.5 x raw, 16 wallets >= 0.8 x.
# Usage: bash ops/bench.sh wallet [--seconds N] [--warmup N] [--rounds N] [--writers 1,16]
# Uses ENVFORGE_PG when set (a role that may CREATE DATABASE); otherwise starts the local PostgreSQL. Idempotent.
# The bench creates its own database (envforge_bench_*) and drops it at the end.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ -z "${ENVFORGE_PG:-}" ]; then
  if [ -f "$root/ops/lib/postgres.sh" ]; then
    # shellcheck source=lib/postgres.sh
    source "$root/ops/lib/postgres.sh"
    ensure_local_postgres
  else
    # Until ops/lib/postgres.sh exists: the Debian cluster and a role of our own.
    pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online || pg_ctlcluster 15 main start
    until su postgres -c "psql -tAc 'select 1'" >/dev/null 2>&1; do sleep 0.5; done
    su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'envforge_bench') THEN
    CREATE ROLE envforge_bench LOGIN CREATEDB PASSWORD 'envforge_bench';
  END IF;
END $$;
SQL
    port=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $3}')
    export ENVFORGE_PG="Host=127.0.0.1;Port=$port;Database=postgres;Username=envforge_bench;Password=envforge_bench"
  fi
fi

bash "$root/ops/nuget-shim/build.sh"

command="bash ops/bench.sh $*"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline)
      [ $# -ge 2 ] || { echo "--baseline needs a git ref" >&2; exit 2; }
      baseline_dir=$(mktemp -d /tmp/envforge-baseline-XXXXXX)
      trap 'rm -rf "$baseline_dir"' EXIT
      git -C "$root" archive "$2" | tar -x -C "$baseline_dir"
      bash "$baseline_dir/ops/nuget-shim/build.sh"
      dotnet build "$baseline_dir/src/Api" -c Release --nologo -v quiet -clp:ErrorsOnly
      args+=(--baseline-api "$baseline_dir/src/Api/bin/Release/net10.0/EnvForge.Api.dll")
      shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
# Building the bench builds src/Api in Release too (project reference): the bench runs that build as a process.
dotnet build "$root/ops/bench/EnvForge.Bench" -c Release --nologo -v quiet -clp:ErrorsOnly

cd "$root"
ENVFORGE_BENCH_COMMAND="$command" \
  dotnet ops/bench/EnvForge.Bench/bin/Release/net10.0/EnvForge.Bench.dll \
  --api "$root/src/Api/bin/Release/net10.0/EnvForge.Api.dll" "${args[@]}"
