# tests/security/common.sh - sourced by tests/security/run.sh (which is
# re-run inside a private mount namespace whose /dev/log is the suite's
# sink): the real provider (oidc-provider behind the fault proxy, on
# 127.0.0.1), local users from nss_wrapper, the configurations and PAM
# services, and the helpers the checks use. Everything lives in $T.
set -eu
B=$(cd "${B:-build}" && pwd)
here=${SEC_DIR:-$(cd "$(dirname "$0")" && pwd)}
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-sec 700
. "$TG_IDP_DIR/lib.sh"

for _p in "$B/tests/pamdrive" "$B/test/pam_tokengate.so" "$B/tokengatectl" \
	"$B/tests/fake-helper-exit1" "$B/tests/fake-helper-liar"; do
	[ -e "$_p" ] || { echo "missing $_p: run make test-build"; exit 1; }
done
suite_provider "$T/f"
stop_all() { suite_provider_stop; }

# ---- the provider ----
# idp_user NAME [password=P] [groups=a,b] [disabled=1]: create or change a
# user at the provider (tests/idp/server.js /test/user)
idp_user() {
	_q="name=$1"; shift
	for _a in "$@"; do _q="$_q&$_a"; done
	curl -s -f -X POST "$UP/test/user?$_q" >/dev/null
}
# outage: the proxy resets every connection (a network error: the
# provider's doing). back: it forwards again, and the circuit state file
# goes, so the next case starts with a closed circuit.
outage() { mode reset; }
back() { mode pass; rm -f "$T/cache/idp.circuit"; }

# ---- local users (nss_wrapper) and the provider's ----
nss_users alice:5001 bob:5002 carol:5003 dave:5004 erin:5005 frank:5006 gina:5007 \
	hank:5008 ivan:5009 jack:5010 kate:5011 lena:5012 mike:5013 nora:5014 olga:5015 \
	paul:5016 as1:5101 as2:5102 as3:5103 as4:5104 as5:5105 as6:5106 as7:5107 as8:5108
for _u in as1:devs as2:devs as3:devs as4:devs as5:devs as6:devs as7:devs as8:devs carol:admins dave:devs erin:devs frank:devs gina:devs hank:devs ivan:devs \
	jack:devs kate:devs lena:devs mike:devs nora:admins olga:devs paul:devs; do
	idp_user "${_u%%:*}" "groups=${_u#*:}"
done
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"

# ---- configuration ----
# circuit_failures = 3 and a long cool-down: a circuit that a local
# failure opened stays visible to the check that follows.
cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
methods = token, password
http_connect_timeout = 1s
http_timeout = 2s
offline_grace = 12h
# the lockout cases have their own configuration (lock_conf); here many
# refusals on purpose must not lock anyone
lockout_attempts = 1000000
lockout_window = 1m
lockout_time = 5m

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 3
circuit_cooldown = 10m

# sudo-like: admins only, passwords, a 1 h grace window of its own;
# leeway 0s, so that a token of 2 s has expired 2 s later
[service sec_admins]
methods = password
allowed_groups = admins
offline_grace = 1h
leeway = 0s

[service sec_admins_later]
methods = password
allowed_groups = admins
offline_grace = 1h
leeway = 0s

[service sec_admins_plus30m]
methods = password
allowed_groups = admins
offline_grace = 1h
leeway = 0s

[service sec_admins_due]
methods = password
allowed_groups = admins
refresh_ahead = 15m

[service sec_tok]
methods = token

[service sec_due]
refresh_ahead = 15m

[service lk_tok]
methods = token

[service lk_admins]
methods = password
allowed_groups = admins

[service lkh_tok]
methods = token
CONF
chmod 600 "$T/tg.conf"
# lock_conf NAME: the same with lockout on (10 refusals in 1m lock for
# 5m) and a cache directory of its own ($T/cache-NAME: lockout counters,
# circuit, keys), as $T/NAME.conf
lock_conf() {
	sed -e "s|^cache_dir = .*|cache_dir = $T/cache-$1|" \
		-e "s|^lockout_attempts = .*|lockout_attempts = 10|" "$T/tg.conf" > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
}
lock_conf lock
lock_conf bogus
lock_conf past
lock_conf h

# PAM services (pam_wrapper) for the test build of the module. auth and
# session: the module alone, so its code is the stack's. account: the line
# README.md gives administrators, before a module that lets everyone in
# (pam_unix would, for a key-based ssh login): a PAM_IGNORE from tokengate
# is then a success, as it would be for sshd; no require_session.
PERMIT=$(pkg-config --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)/security/pam_permit.so
[ -e "$PERMIT" ] || PERMIT=/lib/x86_64-linux-gnu/security/pam_permit.so
svc() { # NAME CONFIG [module args...]
	mkdir -p "$T/svc"
	_s=$1 _c=$2; shift 2
	_m=$B/test/pam_tokengate.so
	{
		printf 'auth required %s config=%s %s\n' "$_m" "$_c" "$*"
		printf 'account [success=ok ignore=ignore default=bad] %s config=%s %s\n' "$_m" "$_c" "$*"
		printf 'account required %s\n' "$PERMIT"
		printf 'session required %s config=%s %s\n' "$_m" "$_c" "$*"
	} > "$T/svc/$_s"
}
svc sec "$T/tg.conf"
svc sec_plus2h "$T/tg.conf" clock=+7200
svc sec_past "$T/tg.conf" clock=-7200
# the admins-only services deny a user without a session at the account
# stage (require_session), as such a service would be set up
svc sec_admins "$T/tg.conf" require_session
svc sec_admins_plus30m "$T/tg.conf" clock=+1800 require_session
# (sec_admins_due runs 5 s on by the test clock: a last_online it rewrote
# would differ by whole seconds)
svc sec_admins_due "$T/tg.conf" clock=+5 require_session
svc sec_admins_later "$T/tg.conf" clock=+3 require_session
svc sec_tok "$T/tg.conf"
svc sec_due "$T/tg.conf"
svc sec_exit1 "$T/tg.conf" "helper=$B/tests/fake-helper-exit1" timeout=2
svc sec_liar "$T/tg.conf" "helper=$B/tests/fake-helper-liar" timeout=2
svc lk "$T/lock.conf"
svc lk_tok "$T/lock.conf"
svc lk_admins "$T/lock.conf"
svc lkb "$T/bogus.conf"
svc lkp_past "$T/past.conf" clock=-7200
svc lkp "$T/past.conf"
svc lkh "$T/h.conf"
svc lkh_tok "$T/h.conf"

# ---- the application ----
# drive ARGS...: pamdrive through pam_wrapper and nss_wrapper; its output
drive() { wrapped "$B/tests/pamdrive" "$@" 2>&1 || true; }
# code STAGE: the last result of STAGE in $r ("PAM_SUCCESS", ...)
code() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | tail -1; }
# no stage of $r succeeded
no_success() { ! printf '%s\n' "$r" | grep -q '=PAM_SUCCESS$'; }
# how many of the stage results in $r are NAME
ncode() { printf '%s\n' "$r" | grep -c "=$1\$" || true; }
# password STAGE... / token: one attempt, the answer given
login() { # SERVICE USER ANSWER [more pamdrive args] -- auth
	_s=$1 _u=$2 _a=$3; shift 3
	drive --service "$_s" --user "$_u" --answer "$_a" "$@"
}
mint_for() { # USER SUB [mint args...]: a token signed with the provider's key
	_u=$1 _sub=$2; shift 2
	_kid=$(cat "$T/f/current-kid")
	"$B/tokengatectl" mint --key "$T/f/$_kid.pem" --kid "$_kid" --iss "$PURL" --aud linux-hosts \
		--sub "$_sub" --user "$_u" "$@"
}

# ---- the audit records of the case at hand ----
# mark: the records so far are old; since: the ones written after the mark
# (settle, tests/tools/suite.sh: every record sent so far is written)
mark() { settle; M=$(wc -l < "$T/audit.log"); }
since() { settle; tail -n +"$((M + 1))" "$T/audit.log"; }
seen() { since | grep -a -q -e "$1"; }
seen_n() { since | grep -a -c -e "$1" || true; }
M=0
# the circuit as tokengatectl status --json sees it: "closed 0"
circuit() {
	ctl status --json | python3 -c "import json,sys; s=json.load(sys.stdin)['issuers'][0]; print(s['circuit'], s['circuit_failures'])" 2>/dev/null || echo unknown
}
# verify NAME CONDITION: check, and on failure what came back: the PAM
# codes and the decision records written since the mark
# shellcheck disable=SC2154 # r: set by the caller
verify() {
	if eval "$2"; then
		ok "$1"
	else
		bad "$1"
		printf '       got: %s\n' "$(printf '%s' "${r:-}" | grep -v -e '^prompt:' -e '^helper:' | tr '\n' ' ' | cut -c1-400)"
		_shown=$(since | grep -a -v 'event=check' | grep -a -o 'event=.*' | tail -n "${SHOW:-4}" | cut -c1-400 | sed 's/^/       log: /')
		if [ -n "$_shown" ] && [ "$_shown" = "${_last_shown:-}" ]; then
			echo "       log: (the records above)"
		elif [ -n "$_shown" ]; then
			printf '%s\n' "$_shown"
		fi
		_last_shown=$_shown
	fi
}
