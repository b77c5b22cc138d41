#!/bin/sh
# Operations against known store states: tokengatectl status (--json),
# metrics, refresh --all (the background timer: only users logged in, with
# backoff), revoke, cleanup (removes exactly what it should). Real provider
# behind the fault proxy; users from nss_wrapper (alice, bob, carol).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
nss_users alice:5001 bob:5002 carol:5003
# a circuit that opens after 2 failures, for the grace state
sed -e 's/^circuit_failures = 50$/circuit_failures = 2\ncircuit_cooldown = 1s/' \
	-e 's/^offline_grace = 12h$/offline_grace = 12h\nleeway = 0s/' "$T/tg.conf" > "$T/ops.conf"
chmod 600 "$T/ops.conf"
sed "s|config=$T/tg.conf|config=$T/ops.conf|" "$T/svc/tg" > "$T/svc/tg_ops"
js() { python3 -c "import json,sys; d=json.load(open('$T/status.json')); $1"; }
state_of() { js "print([s['state'] for s in d['sessions'] if s['user']=='$1'][0])"; }
health_of() { js "print([s['health'] for s in d['sessions'] if s['user']=='$1'][0])"; }
metric() { grep -F "$1 " "$T/metrics" | awk '{print $NF}'; }
# until_s T: a bounded poll (5 s) until the wall clock reads T (unix
# seconds), for what tokengatectl (no test clock) must see as past
until_s() {
	_ui=0
	while [ "$(date +%s)" -lt "$1" ] && [ $_ui -lt 100 ]; do sleep 0.05; _ui=$((_ui + 1)); done
	[ "$(date +%s)" -ge "$1" ]
}

# known states: alice fresh; bob's access token expired (refresh token
# kept); carol a token login that has expired (no refresh, no grace)
r=$(pam tg alice authenticate alice-password)
ttl 2
r=$(pam tg bob authenticate bob-password)
kid=$(cat "$T/f/current-kid")
"$B/tokengatectl" mint --key "$T/f/$kid.pem" --kid "$kid" --iss "$PURL" --aud linux-hosts \
	--sub carol --user carol --ttl 2 > "$T/carol.jwt"
r=$(pam tg carol authenticate "$(cat "$T/carol.jwt")")
ttl 600
# tokengatectl has no test clock: wait (bounded) until both 2 s tokens have
# really expired, by the expiry the store holds
until_s $(($(python3 -c "import json; print(max(json.load(open('$T/store/'+u))['access_exp'] for u in ('5002','5003')))") + 1))
CTL_CONF=$T/ops.conf ctl status --json > "$T/status.json"
r=$(cat "$T/status.json" | tr '\n' ' ' | cut -c1-300)
check "status --json: alice fresh (health 100), bob refresh due (80), carol expired (0)" \
	"[ \"\$(state_of alice)\" = fresh ] && [ \"\$(health_of alice)\" = 100 ] && [ \"\$(state_of bob)\" = 'refresh due' ] && [ \"\$(health_of bob)\" = 80 ] && [ \"\$(state_of carol)\" = expired ] && [ \"\$(health_of carol)\" = 0 ]"
check "  with expiry, grace left, last online check, method and open sessions per session" \
	"js \"s=[x for x in d['sessions'] if x['user']=='alice'][0]; assert s['expires_in']>500 and s['grace_left']>43000 and s['last_online']>0 and s['method']=='password' and s['open_sessions']==0 and s['refresh_token'] is True\""
r=$(CTL_CONF=$T/ops.conf ctl status)
check "status for people: issuer block and an aligned session table" \
	"echo \"\$r\" | grep -q '^issuer idp' && echo \"\$r\" | grep -Eq '^  alice +5001 +fresh +100  password' && echo \"\$r\" | grep -Eq '^  carol +5003 +expired +0  token'"

check "  session_max_age (7d) per session: ENDS IN; idle_timeout not set: no idle limit" \
	"js \"s=[x for x in d['sessions'] if x['user']=='alice'][0]; assert 7*86400-120 < s['session_ends_in'] <= 7*86400 and s['idle_left'] == -1\" && echo \"\$r\" | grep -Eq '^  alice .* [67]d +[0-9]+s ago'"
# carol's last login 8 days ago: past session_max_age, and her token expired
cp -p "$T/store/5003" "$T/carol.session"
python3 - "$T/store/5003" <<'PY'
import json, sys, time
p = sys.argv[1]; d = json.load(open(p)); d['login_at'] = int(time.time()) - 8 * 86400
json.dump(d, open(p, 'w'))
PY
r=$(CTL_CONF=$T/ops.conf ctl status)
check "  a session past session_max_age shows as ended (health 0), ENDS IN ended" \
	"echo \"\$r\" | grep -Eq '^  carol +5003 +ended +0  token .* ended '"
cp -p "$T/carol.session" "$T/store/5003"

# a store that cannot be listed (open to others) is an error, never "no sessions"
chmod 755 "$T/store"
r=$(CTL_CONF=$T/ops.conf ctl status && echo "exit=0" || echo "exit=$?")
chmod 700 "$T/store"
check "status with a store open to others: exit 1, 'cannot be listed', no empty session table" \
	"echo \"\$r\" | grep -q 'exit=1' && echo \"\$r\" | grep -q 'cannot be listed' && ! echo \"\$r\" | grep -q '^sessions  0'"

# provider down, circuit opened by bob's account checks: bob in grace
mode reset
r=$(pam tg_ops bob acct_mgmt)
r=$(pam tg_ops bob acct_mgmt)
opened=$(date +%s) # the circuit opened at or before this second
CTL_CONF=$T/ops.conf ctl status --json > "$T/status.json"
h=$(health_of bob)
r="bob: $(state_of bob) $h"
check "provider down, circuit open: bob in grace with a health between 10 and 50" \
	"[ \"\$(state_of bob)\" = 'in grace' ] && [ $h -ge 10 ] && [ $h -le 50 ]"
CTL_CONF=$T/ops.conf ctl metrics > "$T/metrics"
r=$(grep -v -e '^#' -e ' 0$' "$T/metrics" | tr '\n' ' ')
check "metrics (Prometheus text): decisions by event, result and method" \
	"[ \"\$(metric 'tokengate_decisions_total{event=\"auth\",result=\"allow\",method=\"password\"}')\" -ge 2 ] && [ \"\$(metric 'tokengate_decisions_total{event=\"auth\",result=\"allow\",method=\"token\"}')\" -ge 1 ] && grep -q '^# TYPE tokengate_decisions_total counter' '$T/metrics'"
check "  grace uses, provider errors by class, circuit state, JWKS age, sessions by state" \
	"[ \"\$(metric 'tokengate_grace_uses_total{result=\"allow\"}')\" -ge 2 ] && [ \"\$(metric 'tokengate_provider_errors_total{class=\"network\"}')\" -ge 1 ] && [ \"\$(metric 'tokengate_circuit_state{issuer=\"idp\",state=\"open\"}')\" = 1 ] && [ \"\$(metric 'tokengate_jwks_age_seconds{issuer=\"idp\"}')\" -ge 0 ] && [ \"\$(metric 'tokengate_sessions{state=\"in_grace\"}')\" = 1 ] && [ \"\$(metric 'tokengate_sessions{state=\"fresh\"}')\" = 1 ]"
mode pass
# the circuit's cool-down (1s here) over: the next request is its probe
until_s $((opened + 1))
export CTL_CONF="$T/ops.conf"

# the background refresh: only users with an open session, backoff on failure
ctl_seq() { seq_run tg_seq "$1" "$1-password" > /dev/null 2>&1 || true; }
reset
r=$(ctl refresh --all --ahead 15m) || true
check "refresh --all: users without an open PAM session are left alone (no provider request)" \
	"[ \"\$(count grant:refresh_token)\" = 0 ]"
python3 - "$T/store/5001" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p)); d['sessions'] = [{'id': 'test-open', 'opened': 1}]
json.dump(d, open(p, 'w'))
PY
r=$(ctl refresh --all --ahead 15m) || true
check "  a user with an open session is renewed" \
	"[ \"\$(count grant:refresh_token)\" = 1 ] && echo \"\$r\" | grep -q '^alice  *renewed'"
mode reset
r=$(ctl refresh --all --ahead 15m) || true
r2=$(ctl refresh --all --ahead 15m) || true
opened=$(date +%s)
mode pass
until_s $((opened + 1)) # the circuit those failures opened has cooled down
r="$r / $r2"
check "  a failure backs off: the next run waits (1 min after the first failure)" \
	"echo \"\$r\" | grep -q '^alice  *failed  *not renewed' && echo \"\$r2\" | grep -q '^alice  *backoff  *after 1 failures, next try in'"

# cleanup: exactly what can never be used again
S=$T/store
touch -d '2 hours ago' "$S/.5001.1.2.tmp"
touch "$S/.5002.3.4.tmp"
old=$(( $(date +%s) - 8 * 86400 )) new=$(( $(date +%s) - 86400 ))
echo '{}' > "$S/5002.corrupt.$old"
echo '{}' > "$S/5002.corrupt.$new"
echo '{}' > "$S/5099"
: > "$S/5099.lock"
touch -d '2 hours ago' "$T/cache/.jwks.idp.9.9.tmp"
chmod 600 "$S"/* "$S"/.*.tmp
r=$(ctl cleanup --dry-run)
check "cleanup --dry-run lists and removes nothing" \
	"echo \"\$r\" | grep -q '^6 files would be removed' && [ -e '$S/5099' ] && [ -e '$S/5003' ]"
r=$(ctl cleanup)
check "cleanup removes the stale temp files, the week-old corrupt file, the orphan uid's files, carol's dead session" \
	"[ ! -e '$S/.5001.1.2.tmp' ] && [ ! -e '$T/cache/.jwks.idp.9.9.tmp' ] && [ ! -e '$S/5002.corrupt.$old' ] && [ ! -e '$S/5099' ] && [ ! -e '$S/5099.lock' ] && [ ! -e '$S/5003' ] && echo \"\$r\" | grep -q '^6 files removed'"
check "  and keeps what must stay: live sessions, a fresh temp file, a day-old corrupt file, locks" \
	"[ -e '$S/5001' ] && [ -e '$S/5002' ] && [ -e '$S/.5002.3.4.tmp' ] && [ -e '$S/5002.corrupt.$new' ] && [ -e '$S/5001.lock' ]"
check "  each removal audited (event=cleanup result=remove)" \
	"[ \"\$(logcount 'event=cleanup result=remove reason=ok service=tokengatectl')\" = 6 ]"

# revoke --all: nothing left, each audited, shown as revoked
r=$(ctl revoke --all)
ctl status --json > "$T/status.json"
check "revoke --all: no session left, each audited, status shows them revoked (health 0)" \
	"[ ! -e '$S/5001' ] && [ ! -e '$S/5002' ] && [ \"\$(logcount 'event=store result=purge reason=revoked service=tokengatectl')\" = 2 ] && [ \"\$(state_of alice)\" = revoked ] && [ \"\$(state_of bob)\" = revoked ]"

stop_all
trap - EXIT
suite_end
