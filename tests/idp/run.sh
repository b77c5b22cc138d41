#!/bin/sh
# The identity backend against a real OpenID provider (oidc-provider on
# 127.0.0.1): discovery, the JWKS cache, key rotation, the refetch limit,
# a provider that is down, stale keys, and a caller environment that tries
# to choose a proxy or a TLS key log. Bounded: every step is one login.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-idp

ctl=$B/tokengatectl

[ -d "$here/node_modules/oidc-provider" ] || (cd "$here" && npm ci --no-audit --no-fund >/dev/null 2>&1)
mkdir "$T/idp"
node "$here/server.js" "$T/idp" > "$T/idp.log" 2>&1 &
idp=$!
i=0; while [ ! -s "$T/idp/url" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
URL=$(cat "$T/idp/url")
stop_idp() { kill "$idp" 2>/dev/null || true; wait "$idp" 2>/dev/null || true; }
trap stop_idp EXIT
stats() { curl -s "$URL/test/stats"; }
count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }

user=alice
write_conf() { # file issuer-url cache
	cat > "$1" <<CONF
[global]
cache_dir = $3

[issuer idp]
issuer = $2
allow_http_loopback = yes
audience = linux-hosts
jwks_min_ttl = 5m
jwks_max_ttl = 1h
jwks_max_stale = 1h
jwks_min_refetch = 60s
CONF
	chmod 600 "$1"
}
write_conf "$T/tg.conf" "$URL" "$T/cache"
write_conf "$T/mismatch.conf" "http://localhost:${URL##*:}" "$T/cache2"
mkdir "$T/svc"
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/tg.conf" > "$T/svc/tg"
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/mismatch.conf" > "$T/svc/tg_mismatch"

mint() { # kid [extra args]
	k=$1; shift
	"$ctl" mint --key "$T/idp/$k.pem" --kid "$k" --iss "$URL" --aud linux-hosts \
		--sub "sub-$user" --user "$user" "$@"
}
login() { # service token [env...] -> prints pamtester's last line
	_svc=$1 _tok=$2; shift 2
	printf '%s\n' "$_tok" | env "$@" LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" \
		pamtester "$_svc" "$user" authenticate 2>&1 | tail -1
}

echo "  provider: $URL"
tok=$(mint k1)
r=$(login tg "$tok")
check "first login discovers the provider and fetches its keys" "echo '$r' | grep -q 'successfully authenticated'"
check "  provider saw 1 discovery and 1 JWKS request" \
	"[ \"\$(count /.well-known/openid-configuration)\" = 1 ] && [ \"\$(count /jwks)\" = 1 ]"
check "  audited event=jwks_fetch result=ok" "logged 'event=jwks_fetch result=ok'"
check "  cache file is 0600" "[ \"\$(stat -c %a '$T/cache/idp.jwks')\" = 600 ]"

curl -s -X POST "$URL/test/reset" >/dev/null
for i in 1 2 3 4 5; do login tg "$tok" > "$T/r$i"; done
check "5 more logins succeed from the cache" "[ \"\$(grep -l 'successfully' $T/r? | wc -l)\" = 5 ]"
check "  with 0 requests at the provider" "[ \"\$(stats)\" = '{}' ]"

kid2=$(curl -s -X POST "$URL/test/rotate" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kid"])')
r=$(login tg "$(mint "$kid2")")
check "key rotation: a token with the new kid ($kid2) is accepted" "echo '$r' | grep -q 'successfully authenticated'"
check "  after exactly one refetch" "[ \"\$(count /jwks)\" = 1 ]"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/idp/bogus.pem" 2>/dev/null
curl -s -X POST "$URL/test/reset" >/dev/null
for i in 1 2 3 4 5 6; do
	"$ctl" mint --key "$T/idp/bogus.pem" --kid "bogus-$i" --iss "$URL" --aud linux-hosts \
		--sub s --user "$user" > "$T/bogus.jwt"
	login tg "$(cat "$T/bogus.jwt")" > "$T/b$i"
done
check "6 tokens with bogus kids are refused (unknown_kid)" \
	"[ \"\$(grep -l 'Authentication failure' $T/b? | wc -l)\" = 6 ] && logged 'reason=unknown_kid'"
check "  and cause no JWKS request inside jwks_min_refetch" "[ \"\$(count /jwks)\" = 0 ]"

r=$(login tg_mismatch "$tok")
check "discovery naming another issuer: no keys, PAM_AUTHINFO_UNAVAIL" \
	"echo '$r' | grep -q 'cannot retrieve authentication info'"
check "  audited with the reason" "logged 'discovery: issuer is not http://localhost'"

# The caller's environment must not reach the network code.
rm -rf "$T/cache"
r=$(login tg "$tok" https_proxy=http://127.0.0.1:9 http_proxy=http://127.0.0.1:9 \
	ALL_PROXY=http://127.0.0.1:9 SSLKEYLOGFILE="$T/keylog" CURL_CA_BUNDLE=/nonexistent)
check "a fetch ignores https_proxy / SSLKEYLOGFILE / CURL_CA_BUNDLE of the caller" \
	"echo '$r' | grep -q 'successfully authenticated' && [ ! -e '$T/keylog' ]"

# ---- the token endpoint and friends ----
printf 'linux-hosts-secret\n' > "$T/secret"
printf 'linux-post-secret\n' > "$T/post-secret"
printf 'wrong\n' > "$T/bad-secret"
printf 'linux-hosts-secret\n' > "$T/leaky-secret"
chmod 600 "$T/secret" "$T/post-secret" "$T/bad-secret"
chmod 640 "$T/leaky-secret"
oconf() { # name client secretfile [auth]
	cat > "$T/$1.conf" <<CONF
[global]
cache_dir = $T/ocache

[issuer idp]
issuer = $URL
allow_http_loopback = yes
audience = linux-hosts
client_id = $2
client_secret_file = $3
${4:+client_auth = $4}
CONF
	chmod 600 "$T/$1.conf"
}
oconf o linux-hosts "$T/secret"
oconf opost linux-post "$T/post-secret" client_secret_post
oconf obad linux-hosts "$T/bad-secret"
oconf oleak linux-hosts "$T/leaky-secret"
oc() { "$B/tests/oauthctl" "$T/$1.conf" idp "$2" ${3:+"$3"} ${4:+"$4"} > "$T/o.out" 2>/dev/null; }
has() { grep -qx -- "$1" "$T/o.out"; }
val() { sed -n "s/^$1=//p" "$T/o.out"; }
oc o client_credentials
check "client_credentials (client_secret_basic): a Bearer token" "has rc=ok && has token_type=Bearer"
at=$(val access_token)
r=$("$ctl" validate --config "$T/o.conf" "$at" 2>&1 || true)
check "  the provider's at+jwt verifies, and maps to no person (user_mismatch)" "[ '$r' = user_mismatch ]"
oc opost client_credentials
check "client_credentials (client_secret_post)" "has rc=ok"
oc obad client_credentials
check "wrong client secret: invalid_client, a configuration error" "has error=invalid_client && has rc=internal"
oc oleak client_credentials
check "a group-readable client_secret_file is refused before any request" \
	"grep -q 'secret readable by group or others' '$T/o.out'"
oc o client_credentials urn:opaque
ot=$(val access_token)
oc o introspect "$ot"
check "introspection (RFC 7662): an opaque token is active" "has active=true"
oc o revoke "$ot"
check "revocation (RFC 7009)" "has rc=ok"
oc o introspect "$ot"
check "  then introspection says inactive" "has active=false"
oc o device_start
check "device authorization (RFC 8628): user code, default interval 5 when none is sent" \
	"has interval=5 && [ -n \"\$(val user_code)\" ]"
dc=$(val device_code)
oc o device_poll "$dc"
check "  polling before approval: authorization_pending" "has error=authorization_pending && has rc=no_credentials"
oc o refresh not-a-refresh-token
check "refresh with an unknown refresh token: invalid_grant -> revoked" "has rc=revoked"
oc o password alice alice-password
check "password grant (registered in the harness): a token for alice" "has rc=ok"
pat=$(val access_token)
r=$(login tg "$pat")
check "  that provider-issued token logs alice in through PAM" "echo '$r' | grep -q 'successfully authenticated'"
oc o password bob bob-password
r=$(login tg "$(val access_token)")
check "  bob's token does not log alice in (user_mismatch)" \
	"echo '$r' | grep -q 'Authentication failure' && logged 'reason=user_mismatch'"
oc o password alice wrong-password
check "  a wrong password: invalid_grant" "has error=invalid_grant && has rc=revoked"

stop_idp
age() { # seconds: set the cache's fetch time that far back, and the refetch stamp to 0
	python3 - "$T/cache" "$1" <<'PY'
import json, os, sys, time
d, back = sys.argv[1], int(sys.argv[2])
for name, t in (("idp.jwks", int(time.time()) - back), ("idp.refetch", 0), ("idp.attempt", 0)):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        continue
    e = json.load(open(p))
    e["fetched_at"] = t
    tmp = p + ".t"
    with open(tmp, "w") as f:
        json.dump(e, f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, p)
PY
}
r=$(login tg "$tok")
check "provider down, fresh cache: logins go on" "echo '$r' | grep -q 'successfully authenticated'"
age 900
r=$(login tg "$tok")
check "provider down, keys stale but inside jwks_max_stale: still accepted" \
	"echo '$r' | grep -q 'successfully authenticated'"
check "  audited as event=jwks_stale" "logged 'event=jwks_stale result=stale'"
age 7300
r=$(login tg "$tok")
check "provider down, keys older than ttl + jwks_max_stale: PAM_AUTHINFO_UNAVAIL" \
	"echo '$r' | grep -q 'cannot retrieve authentication info'"
check "  audited reason=idp_unreachable" "logged 'event=auth result=deny reason=idp_unreachable'"
"$ctl" status --config "$T/tg.conf" --json > "$T/status.json"
"$ctl" status --config "$T/tg.conf" > "$T/status.txt"
check "tokengatectl status --json: keys expired, last error recorded, circuit state" \
	"python3 -c \"import json; s=json.load(open('$T/status.json'))['issuers'][0]; assert s['keys_state']=='expired (refused)', s; assert s['last_error'].startswith('discovery: '), s; assert s['circuit'] in ('closed','open'), s; assert s['keys_usable']==2, s\""
check "tokengatectl status (human): one block per issuer" \
	"grep -q '^issuer idp' '$T/status.txt' && grep -q 'circuit' '$T/status.txt' && grep -q 'last error' '$T/status.txt'"
r=$("$ctl" validate --config "$T/tg.conf" --issuer idp "$tok" 2>&1 || true)
check "tokengatectl validate --issuer with no usable keys: idp_unreachable" "echo '$r' | grep -q idp_unreachable"

# ---- faults: a proxy between the helper and a second provider ----
TG_IDP_DIR=$here
. "$here/lib.sh"
start_behind_proxy "$T/f"
proxy=$PROXY_PID idp2=$IDP_PID
stop_all() { kill "$proxy" "$idp2" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop_all EXIT
proxy_conf "$T/f.conf" "$T/fcache" 30s
# a port where nothing listens
cat > "$T/refused.conf" <<CONF
[global]
cache_dir = $T/rcache
http_connect_timeout = 1s
http_timeout = 2s

[issuer idp]
issuer = http://127.0.0.1:1
allow_http_loopback = yes
audience = linux-hosts
CONF
chmod 600 "$T/refused.conf"
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/f.conf" > "$T/svc/tg_f"
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/refused.conf" > "$T/svc/tg_refused"
ftok=$("$ctl" mint --key "$T/f/k1.pem" --kid k1 --iss "$PURL" --aud linux-hosts --sub s --user "$user")
since() { python3 -c "import time; print(int((time.time() - $1) * 1000))"; }
fault() { # mode class [reason]: only network errors, timeouts, 429 and 5xx
	# are the provider being unreachable; a garbled answer is malformed
	reason=${3:-idp_unreachable}
	echo "$1" > "$T/f/mode"
	rm -rf "$T/fcache"
	t0=$(python3 -c 'import time; print(time.time())')
	r=$(login tg_f "$ftok")
	ms=$(since "$t0")
	check "fault $1: PAM_AUTHINFO_UNAVAIL in ${ms} ms, audited as $reason ($2)" \
		"echo '$r' | grep -q 'cannot retrieve authentication info' && [ $ms -lt 8000 ] && logged 'event=jwks_fetch result=error reason=$reason .*$2'"
}
r=$(login tg_refused "$ftok")
check "fault refused: PAM_AUTHINFO_UNAVAIL, audited as network" \
	"echo '$r' | grep -q 'cannot retrieve authentication info' && logged 'discovery: network'"
fault hang timeout
fault reset network
fault 500 http_5xx
fault 502 http_5xx
fault 503 http_5xx
fault 429 http_429
fault garbage malformed malformed
fault truncated malformed malformed
fault bigbody too_big malformed
fault drip timeout
fault wrongtype 'Content-Type is not JSON' malformed
# error bodies that are empty or not JSON, on the token endpoint
echo pass > "$T/f/mode"
rm -rf "$T/fcache"
cat > "$T/fo.conf" <<CONF
[global]
cache_dir = $T/fcache

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
CONF
chmod 600 "$T/fo.conf"
"$B/tests/oauthctl" "$T/fo.conf" idp client_credentials > /dev/null 2>&1  # caches discovery
for m in emptyerror htmlerror; do
	echo $m > "$T/f/mode"
	"$B/tests/oauthctl" "$T/fo.conf" idp refresh some-token > "$T/o.out" 2>/dev/null
	check "token endpoint answering 400 with $m: handled as a refused grant" \
		"grep -qx rc=revoked '$T/o.out' && grep -q 'HTTP 400 with' '$T/o.out'"
done
echo notfound > "$T/f/mode"
"$B/tests/oauthctl" "$T/fo.conf" idp refresh some-token > "$T/o.out" 2>/dev/null
check "token endpoint answering an empty 404: a configuration error, not a revocation (no session purged)" \
	"grep -qx rc=internal '$T/o.out' && grep -q 'HTTP 404 with an empty body' '$T/o.out'"
echo pass > "$T/f/mode"
rm -rf "$T/fcache"
r=$(login tg_f "$ftok")
check "through the proxy in pass mode: logged in" "echo '$r' | grep -q 'successfully authenticated'"
check "  the helper never crashed" "! grep -a -q 'helper_died' '$T/audit.log'"

# the circuit: three failures open it, then requests fail at once
rm -rf "$T/fcache"
echo 503 > "$T/f/mode"
echo 0 > "$T/f/proxy-count"
r=$(login tg_f "$ftok")
check "circuit: 3 failed attempts open it" "logged 'event=circuit result=open'"
c1=$(cat "$T/f/proxy-count")
t0=$(python3 -c 'import time; print(time.time())')
r=$(login tg_f "$ftok")
ms=$(since "$t0")
check "  while open, a login fails at once (${ms} ms) without a request" \
	"echo '$r' | grep -q 'cannot retrieve' && [ \"\$(cat $T/f/proxy-count)\" = '$c1' ] && [ $ms -lt 1000 ]"
python3 - "$T/fcache/idp.circuit" <<'PY'
import json, os, sys
p = sys.argv[1]
e = json.load(open(p)); e["fetched_at"] -= 60
open(p + ".t", "w").write(json.dumps(e)); os.chmod(p + ".t", 0o600); os.replace(p + ".t", p)
PY
echo pass > "$T/f/mode"
r=$(login tg_f "$ftok")
check "  after the cool-down one probe goes out, succeeds, and closes it" \
	"echo '$r' | grep -q 'successfully authenticated' && logged 'event=circuit result=half_open' && logged 'event=circuit result=closed'"

printf '  idp: %d passed, %d failed\n' $((n - fail)) "$fail"
[ "$fail" -eq 0 ]
