#!/bin/sh
# make demo - the whole story on this machine, nothing installed, nothing on
# the host changed. A real OpenID provider (oidc-provider, tests/idp, on
# 127.0.0.1 only) and the real libpam (pam_wrapper, with users alice and bob
# from nss_wrapper): a device login with its QR code (the approval done for
# you at the provider), a password login and a wrong password, a revocation
# at the provider, the provider stopped and the offline grace window
# counting down (the test build's clock moved forward, clock=+N), and
# `tokengatectl status`. Each step: one result line ("=> ...") and the
# audit record it produced.
# Bounded: every login has short timeouts, the whole run at most 180 s.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

if [ "${TG_IN_NS:-}" != 1 ]; then
	T=$(mktemp -d /tmp/tg-demo.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	: > "$T/audit.log"
	# oidc-provider, once (a fresh clone has no node_modules)
	if [ ! -d "$here/idp/node_modules/oidc-provider" ]; then
		echo "Installing the demo's OpenID provider (npm ci in tests/idp) ..."
		(cd "$here/idp" && npm ci --no-audit --no-fund >/dev/null 2>&1) ||
			{ echo "demo: npm ci in tests/idp failed (needs node and npm)" >&2; exit 1; }
	fi
	if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
		LOGSINK=$B/tests/logsink timeout -k 5 180 sh "$here/tools/with-devlog.sh" "$T/audit.log" \
			env TG_DEMO_DIR="$T" TG_IN_NS=1 B="$B" sh "$0"
	else
		echo "(no root and no user namespaces: audit records go to this host's syslog)"
		env TG_DEMO_DIR="$T" TG_DEMO_NOLOG=1 TG_IN_NS=1 B="$B" timeout -k 5 180 sh "$0"
	fi
	exit
fi

T=$TG_DEMO_DIR
if [ -t 1 ]; then
	title() { printf '\n\033[1m%s\033[0m\n' "$*"; }
	cmd() { printf '  \033[2m$ %s\033[0m\n' "$*"; }
else
	title() { printf '\n%s\n' "$*"; }
	cmd() { printf '  $ %s\n' "$*"; }
fi
# result TEXT: the step's one line of what happened
result() { printf '  => %s\n' "$*"; }

# ---- the provider, the users, the configuration, the PAM services ----
mkdir -p "$T/idp"
node "$here/idp/server.js" "$T/idp" > "$T/idp.log" 2>&1 &
IDP_PID=$!
trap 'kill "$IDP_PID" 2>/dev/null || true' EXIT
i=0
while [ ! -s "$T/idp/url" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
[ -s "$T/idp/url" ] || { echo "demo: the provider did not start"; cat "$T/idp.log"; exit 1; }
URL=$(cat "$T/idp/url")

printf 'alice:x:5001:5001:alice:/nonexistent:/bin/sh\nbob:x:5002:5002:bob:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:5001:\nbob:x:5002:\n' > "$T/group"
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
cat > "$T/tokengate.conf" <<CONF
[global]
methods = password
store_dir = $T/store
cache_dir = $T/cache
offline_grace = 12h
http_connect_timeout = 1s
http_timeout = 2s

[issuer demo]
issuer = $URL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret

[service demo-device]
methods = device
device_timeout = 30s
qr = yes
CONF
chmod 600 "$T/tokengate.conf"
mkdir "$T/pam.d"
svc() { # NAME [module args]: auth and account through the test build of the module
	_n=$1; shift
	printf 'auth    required %s config=%s %s\naccount required %s config=%s require_session %s\nsession required %s config=%s %s\n' \
		"$B/test/pam_tokengate.so" "$T/tokengate.conf" "$*" \
		"$B/test/pam_tokengate.so" "$T/tokengate.conf" "$*" \
		"$B/test/pam_tokengate.so" "$T/tokengate.conf" "$*" > "$T/pam.d/$_n"
}
svc demo-device
svc demo
# The grace steps move the test build's clock forward (clock=+N): they get
# their own cache (keys, circuit) so that status, in real time, does not
# read records from the future. The store is the same.
sed "s|^cache_dir = .*|cache_dir = $T/cache-later|" "$T/tokengate.conf" > "$T/later.conf"
chmod 600 "$T/later.conf"
for h in 2 11 13; do
	svc "demo-${h}h" clock=+$((h * 3600))
	sed -i "s|config=$T/tokengate.conf|config=$T/later.conf|" "$T/pam.d/demo-${h}h"
done

echo "tokengate demo: a real OpenID provider (oidc-provider) at $URL,"
echo "users alice and bob (nss_wrapper), PAM through pam_wrapper, nothing installed."
echo "  tokengate.conf:"
sed 's/^/    /' "$T/tokengate.conf"

wrapped() {
	env LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/pam.d" NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" "$@"
}
# pamtester SERVICE USER OPS... (the answer on stdin): 0 when every op succeeded
pamt() {
	_ans=$1; shift
	cmd "pamtester $*"
	printf '%s\n' "$_ans" | wrapped pamtester -v "$@" > "$T/out" 2>&1 && _rc=0 || _rc=$?
	grep -v -e '^pamtester: invoking' -e '^$' "$T/out" | sed -e 's/\r//g' -e 's/^/    /'
	return $_rc
}
mark() { M=$(wc -l < "$T/audit.log"); }
ctl() { env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	"$B/tokengatectl" "$@" --config "$T/tokengate.conf"; }
# audit PATTERN: the records since mark that match, once the decision is in
# (the sink writes asynchronously: a bounded poll for the PATTERN)
audit() {
	if [ -n "${TG_DEMO_NOLOG:-}" ]; then
		echo "  audit: (in this host's syslog)"
		return
	fi
	_i=0
	while ! tail -n +"$((M + 1))" "$T/audit.log" | grep -a -q -e "$1" && [ $_i -lt 100 ]; do
		sleep 0.05; _i=$((_i + 1))
	done
	# the decisions; the records of the keys and the circuit on the way are counted
	tail -n +"$((M + 1))" "$T/audit.log" | grep -a -e 'event=' > "$T/rec" || true
	grep -a -v -e 'event=jwks' -e 'event=circuit' "$T/rec" |
		sed -e 's/^<[0-9]*>//' -e 's/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* //' -e 's/^/  audit: /'
	_o=$(grep -a -c -e 'event=jwks' -e 'event=circuit' "$T/rec" || true)
	[ "$_o" = 0 ] || echo "  audit: (and $_o record(s) of the keys and the circuit on the way)"
}

# ---- 1. device login ----
title "1. A device login (RFC 8628): alice gets an address, a code and a QR code; the approval at the provider is done for you"
cat > "$T/person.sh" <<HOOK
#!/bin/sh
code=\$(printf '%s' "\$PAMSEQ_PROMPT" | sed -n 's/.*enter the code \([A-Z0-9-]*\)).*/\1/p')
[ -n "\$code" ] || exit 0
echo "[the person opens the address on a phone and approves as alice: code \$code]"
curl -s -X POST "$URL/test/device/approve?user_code=\$code&user=alice" > /dev/null
HOOK
chmod +x "$T/person.sh"
mark
cmd "login as alice through PAM service demo-device (auth, account, session)"
if PAMSEQ_HOOK="$T/person.sh" wrapped "$B/tests/pamseq" demo-device alice "" > "$T/out" 2>&1; then
	s1="LOGGED IN"
else
	s1="REFUSED"
fi
sed -e 's/^prompt: //' -e 's/^/    /' "$T/out"
result "device login for alice: $s1 (approved at the provider)"
audit 'event=account'

# ---- 2. password login ----
title "2. A password login: bob's provider password, checked by the provider (password grant)"
mark
pamt bob-password demo bob authenticate acct_mgmt && s2="LOGGED IN" || s2="REFUSED"
result "password login for bob: $s2"
audit 'event=account'

title "3. A wrong password"
mark
pamt not-bobs-password demo bob authenticate && s3="LOGGED IN" || s3="REFUSED"
result "wrong password for bob: $s3"
audit 'event=auth'

# ---- 4. revocation ----
title "4. A revocation: the administrator revokes alice's session (at the provider, and here)"
mark
cmd "tokengatectl revoke alice"
ctl revoke alice > "$T/out" 2>&1 && s4a="done" || s4a="FAILED"
sed 's/^/    /' "$T/out"
pamt "" demo alice acct_mgmt && s4="ALLOWED" || s4="REFUSED"
if [ -e "$T/store/5001" ]; then s4b="kept"; else s4b="purged"; fi
result "revoke alice: $s4a, her session $s4b; her next account check: $s4"
audit 'event=account'

# ---- 5. the provider stopped: the grace window ----
title "5. The provider stops; bob's session lives on in the offline grace window (offline_grace = 12h)"
cmd "kill <oidc-provider>"
kill "$IDP_PID"
wait "$IDP_PID" 2>/dev/null || true
for step in 2h 11h 13h; do
	mark
	pamt "" "demo-$step" bob acct_mgmt && s5="ALLOWED" || s5="REFUSED"
	left=$(sed -n 's/.*offline access ends in \(.*\)$/\1/p' "$T/out" | head -1)
	result "bob's account check, provider down, clock +$step: $s5${left:+, grace left $left}"
	audit 'event=account'
done

# ---- 6. tokengatectl status ----
title "6. tokengatectl status: the issuer and every stored session"
cmd "tokengatectl status --config tokengate.conf"
ctl status > "$T/status" 2>&1 && s6=0 || s6=$?
sed 's/^/    /' "$T/status"
n6=$(sed -n 's/^sessions *\([0-9]*\).*/\1/p' "$T/status")
state6() { awk -v u="$1" '$1 == u {print $3; exit}' "$T/status"; }
a6=$(state6 alice) b6=$(state6 bob)
result "status: exit $s6, ${n6:-no} stored session(s): alice ${a6:-absent}, bob ${b6:-absent}"
printf '\nDone. Nothing was installed; the provider and its files are gone.\n'
