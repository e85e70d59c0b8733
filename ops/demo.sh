#!/usr/bin/env bash
# The whole story on one machine (README, "On one machine"), against the running main job (ops/run.sh, Local provider)
# and a Temporal server. Prints each step:
#   register an org, connect nothing, set the sample app's secrets, create a workspace from the sample repository
#   (envforge.yml), watch provisioning to Ready, wake it, issue a dev link and fetch the app, its /api, an asset and a
#   WebSocket echo through it while shell and admin paths are refused, request root, approve, sudo works, revoke, sudo
#   is gone, sleep.
#   ops/demo.sh
#   TEMPORAL_ADDRESS  host:port of the Temporal server the main job uses (required: the SDK's dev server cannot be
#                     downloaded without internet; where it can, start it with `temporal server start-dev`)
#   ENVFORGE_PORT     the main job's port (default 5080); ENVFORGE_DATA_DIR as for ops/run.sh
# Exit code: 0 when every step did what it says, 1 at the first that did not, 2 when no Temporal server can be had.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

port="${ENVFORGE_PORT:-5080}"
api="http://127.0.0.1:$port"
export ENVFORGE_DATA_DIR="${ENVFORGE_DATA_DIR:-$ROOT/.envforge}"

# --- Is there a Temporal server? One line and exit 2 when not. ---
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  echo "no Temporal server: set TEMPORAL_ADDRESS=host:7233 for the main job and this demo (none can be downloaded on this machine)" >&2
  exit 2
fi
temporal_host="${TEMPORAL_ADDRESS%:*}" temporal_port="${TEMPORAL_ADDRESS##*:}"
if ! timeout 3 bash -c "exec 3<>/dev/tcp/$temporal_host/$temporal_port" 2>/dev/null; then
  echo "no Temporal server answers at $TEMPORAL_ADDRESS" >&2
  exit 2
fi

command -v python3 >/dev/null 2>&1 || apt_install python3
command -v curl >/dev/null 2>&1 || apt_install curl

step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() {
  printf '    FAILED: %s\n' "$*" >&2
  exit 1
}
# json FIELD: reads a JSON document on stdin and prints FIELD (a dotted path; numbers index lists).
json() {
  python3 -c '
import json, sys
value = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value = value[int(part)] if isinstance(value, list) else value.get(part)
print("" if value is None else (json.dumps(value) if isinstance(value, (dict, list)) else value))' "$1"
}
# call METHOD PATH TOKEN [BODY]: the API's answer on stdout; a non-2xx answer fails the step with its problem.
call() {
  local method="$1" path="$2" token="$3" body="${4:-}" out status
  out="$(mktemp)"
  status="$(curl -sS -o "$out" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
    ${body:+-H 'content-type: application/json' --data "$body"} "$api$path")"
  if [ "${status:0:1}" != 2 ]; then
    cat "$out" >&2
    rm -f "$out"
    fail "$method $path answered $status"
  fi
  cat "$out"
  rm -f "$out"
}
# until_field SECONDS WHAT PATH TOKEN FIELD VALUE: polls a GET until FIELD is VALUE.
until_field() {
  local seconds="$1" what="$2" path="$3" token="$4" field="$5" value="$6" deadline=$((SECONDS + $1)) now last=""
  while true; do
    now="$(call GET "$path" "$token" | json "$field")"
    if [ "$now" != "$last" ]; then
      printf '    %s: %s\n' "$field" "$now"
      last="$now"
    fi
    [ "$now" = "$value" ] && return 0
    [ "$SECONDS" -ge "$deadline" ] && fail "$what: still $field=$now after ${seconds}s"
    sleep 1
  done
}

step "the main job"
health="$(curl -sS "$api/health")" || fail "no API on $api: start it with ops/run.sh (TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS)"
[ "$(json temporal <<<"$health")" = available ] || fail "the API has no Temporal: $(json temporalReason <<<"$health")"
[ "$(json provider <<<"$health")" = Local ] || fail "the API provisions with $(json provider <<<"$health"); this demo is for the Local provider"
ok "API on $api, Temporal available, provider Local ($(json providerReason <<<"$health"))"

alice="$("$ROOT/ops/token.sh" alice --name Alice)"
bob="$("$ROOT/ops/token.sh" bob --name Bob)"

step "register an org (alice), with bob as an Admin to approve root"
org="$(call POST /orgs "$alice" '{"name":"Demo"}' | json id)"
call POST "/orgs/$org/members" "$alice" '{"userId":"bob","role":"Admin","displayName":"Bob"}' >/dev/null
ok "org $org"

step "connect nothing: the Local provider needs no cloud account"
ok "workspaces run on this machine's Docker engine, on a host and network of the org's own"

step "set the secrets the sample app declares (values are write-only)"
call PUT "/orgs/$org/secrets/envforge/sample/greeting" "$alice" "{\"value\":\"hello-$RANDOM$RANDOM\"}" | json version >/dev/null
call PUT "/orgs/$org/secrets/envforge/sample/admin-token" "$alice" "{\"value\":\"token-$RANDOM$RANDOM\"}" >/dev/null
ok "$(call GET "/orgs/$org/secrets" "$alice")"

step "open the org's wallet (the spend stop: no workspace runs on an empty wallet)"
call POST "/orgs/$org/wallet" "$alice" '{"currency":"EUR"}' >/dev/null
# Top-ups go through Stripe, which this machine cannot reach; the runtime here is your own machine's, so the Owner sets
# its rate to 0 and the meter still runs (receipts at 0). On AWS, top up: POST /orgs/{org}/wallet/top-ups.
call PUT "/orgs/$org/wallet/rate" "$alice" '{"ratePerServiceMinute":0}' >/dev/null
ok "wallet open in EUR, rate 0 per service-minute: covers the minimum runtime = $(call GET "/orgs/$org/wallet" "$alice" | json coversMinimumRuntime)"

step "create a workspace from the sample repository (its envforge.yml, at the branch's head)"
repo="$ENVFORGE_DATA_DIR/demo/sample-app"
rm -rf "$repo"
mkdir -p "$repo"
cp -R "$ROOT/ops/sample-app/." "$repo/"
git -C "$repo" init --quiet --initial-branch=main
git -C "$repo" add -A
git -C "$repo" -c user.name=EnvForge -c user.email=demo@envforge.invalid commit --quiet -m "sample app"
workspace_json="$(call POST "/orgs/$org/workspaces" "$alice" "{\"name\":\"sample\",\"repository\":\"$repo\",\"branch\":\"main\"}")"
ws="$(json id <<<"$workspace_json")"
ok "workspace $ws at commit $(json commit <<<"$workspace_json"), services: $(json services <<<"$workspace_json")"

step "watch provisioning to Ready"
until_field 300 "provisioning" "/orgs/$org/workspaces/$ws" "$alice" status Ready
ok "placed on $(call GET "/orgs/$org/workspaces/$ws" "$alice" | json instanceId)"

step "wake it (services built and started, each with its own secret)"
call POST "/orgs/$org/workspaces/$ws/wake" "$alice" '{"trigger":"Api"}' >/dev/null
until_field 300 "wake" "/orgs/$org/workspaces/$ws" "$alice" awake True

step "issue a dev link to the web service and open it"
link_json="$(call POST "/orgs/$org/workspaces/$ws/dev-links" "$alice" '{"service":"web","surfaces":["Web","Api","Assets","WebSockets"],"expiresInMinutes":60}')"
url="$(json url <<<"$link_json")"
link_host="$(json link.id <<<"$link_json" | tr -d -)".links.localhost
jar="$(mktemp)"
trap 'rm -f "$jar"' EXIT
resolve=(--resolve "$link_host:$port:127.0.0.1")
curl -sS "${resolve[@]}" -c "$jar" -o /dev/null "$url"
cookie="$(awk '$6 == "ef_link" { print $7 }' "$jar")"
[ -n "$cookie" ] || fail "opening the link set no session"
ok "$url"
fetch() { curl -sS "${resolve[@]}" -b "$jar" -o /dev/null -w '%{http_code} %{content_type}' "http://$link_host:$port$1"; }
for path in / /api/hello /static/app.js; do
  answer="$(fetch "$path")"
  [ "${answer%% *}" = 200 ] || fail "$path through the link answered $answer"
  ok "$path: $answer"
done
ok "/api/hello says $(curl -sS "${resolve[@]}" -b "$jar" "http://$link_host:$port/api/hello")"
python3 - "$port" "$link_host" "$cookie" <<'PY' || fail "the WebSocket echo through the link failed"
import base64, os, socket, sys
port, host, cookie = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), 10)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: ef_link={cookie}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1024)
assert head.startswith(b"HTTP/1.1 101"), head.split(b"\r\n")[0]
message, mask = b"hello through the dev link", os.urandom(4)
s.sendall(bytes([0x81, 0x80 | len(message)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(message)))
frame = s.recv(1024)
assert frame[2:2 + frame[1]] == message, frame
print("    ok: /ws echoed: " + message.decode())
PY
for path in /_admin /ssh /.env; do
  answer="$(fetch "$path")"
  [ "${answer%% *}" = 403 ] || fail "$path should be refused, answered $answer"
  ok "$path refused: ${answer%% *}"
done

host="envforge-host-$(tr -d - <<<"$org")"
sudo_works() { docker exec -u dev "$host" sudo -n true >/dev/null 2>&1; }

step "request root (alice), approve it (bob)"
call PUT "/orgs/$org/root-policy" "$alice" '{"mode":"WorkspaceElevation","maximumWindowMinutes":60,"approvalsRequired":1,"pendingDeadlineMinutes":60,"ticketReferenceRequired":false}' >/dev/null
grant="$(call POST "/orgs/$org/workspaces/$ws/elevations" "$alice" '{"mode":"WorkspaceElevation","windowMinutes":15,"reason":"demo: install a debugger"}' | json id)"
call POST "/orgs/$org/elevations/$grant/approve" "$bob" '{}' >/dev/null
until_field 120 "activation" "/orgs/$org/elevations/$grant" "$alice" status Active
sudo_works || fail "sudo -n true as dev on $host does not work during the window"
ok "sudo works for dev on $host"

step "revoke it"
call POST "/orgs/$org/elevations/$grant/revoke" "$alice" '{"reason":"demo done"}' >/dev/null
until_field 120 "closeout" "/orgs/$org/elevations/$grant" "$alice" status ClosedOut
if sudo_works; then fail "sudo still works after closeout"; fi
ok "sudo is gone"

step "sleep"
call POST "/orgs/$org/workspaces/$ws/sleep" "$alice" >/dev/null
until_field 120 "sleep" "/orgs/$org/workspaces/$ws" "$alice" awake False
ok "the services stopped; the org's host stays for its next workspace"

printf '\nthe whole story ran on this machine\n'
