#!/bin/sh
# Several providers on one host (issue 14, item 4): two oidc-provider
# instances, each behind its own fault proxy, as [issuer one] and [issuer
# two]; [service ma] issuer = one, [service mb] issuer = two. Password
# logins go to the service's issuer; a service that names an issuer
# refuses tokens (bad_issuer) and stored sessions (not_authorized) of the
# other one, online and on the degraded paths (grace) alike; audit
# records name the issuer. Users and helpers: tests/session/common.sh.
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

PURL1=$PURL UP1=$UP PROXY1=$PROXY_PID IDP1=$IDP_PID
start_behind_proxy "$T/f2" || { echo "second provider did not start"; cat "$T/f2/idp.log"; exit 1; }
PURL2=$PURL UP2=$(cat "$T/f2/upstream")
stop_all() { kill "$IDP1" "$PROXY1" "$IDP_PID" "$PROXY_PID" 2>/dev/null || true
	wait "$IDP1" "$PROXY1" "$IDP_PID" "$PROXY_PID" 2>/dev/null || true; }
trap stop_all EXIT
echo pass > "$T/f2/mode"
echo "  providers: one $PURL1, two $PURL2"
# both down / both up
down() { mode reset; echo reset > "$T/f2/mode"; }
up() { mode pass; echo pass > "$T/f2/mode"; }
count_at() { curl -s "$1/test/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2',0))"; }

cat > "$T/multi.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/mcache
methods = token, password
http_connect_timeout = 1s
http_timeout = 2s
offline_grace = 12h

[issuer one]
issuer = $PURL1
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 50

[issuer two]
issuer = $PURL2
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 50

[service ma]
issuer = one

[service ma_plus2h]
issuer = one

[service mb]
issuer = two

[service mb_plus2h]
issuer = two
CONF
chmod 600 "$T/multi.conf"
for s in ma mb; do
	service $s
	service ${s}_plus2h clock=+7200
done
sed -i "s|config=$T/tg.conf|config=$T/multi.conf|" "$T/svc/ma" "$T/svc/mb" "$T/svc/ma_plus2h" "$T/svc/mb_plus2h"

# ---- password logins go to the service's issuer ----
g1=$(count_at "$UP1" /token) g2=$(count_at "$UP2" /token)
r=$(pam mb alice authenticate alice-password)
check "password login at [service mb] (issuer = two): the grant goes to the second provider" \
	"succeeded && [ \"\$(count_at '$UP2' /token)\" -gt $g2 ] && [ \"\$(count_at '$UP1' /token)\" = $g1 ]"
check "  the session is of [issuer two] (its issuer and iss)" \
	"[ \"\$(store 5001 issuer)\" = two ] && [ \"\$(store 5001 iss)\" = '$PURL2' ]"
check "  audited with issuer=two" \
	"logged 'event=auth result=allow reason=ok service=mb user=alice .*iss=$PURL2 .*issuer=two'"
r=$(pam ma bob authenticate bob-password)
check "password login at [service ma] (issuer = one): the first provider, issuer=one" \
	"succeeded && [ \"\$(store 5002 issuer)\" = one ] && logged 'event=auth result=allow reason=ok service=ma user=bob .*iss=$PURL1 .*issuer=one'"

# ---- tokens: the issuer from iss, subject to the service's issuer ----
tok1=$(store 5002 access_token)
r=$(pam mb bob authenticate "$tok1")
check "a token of issuer one at [service mb]: refused, reason=bad_issuer, issuer=one" \
	"! succeeded && logged 'event=auth result=deny reason=bad_issuer service=mb user=bob .*method=token .*issuer=one'"
r=$(pam ma bob authenticate "$tok1")
check "the same token at [service ma]: accepted" \
	"succeeded && logged 'event=auth result=allow reason=ok service=ma user=bob .*method=token .*issuer=one'"

# ---- stored sessions: not authorized at a service of another issuer ----
r=$(pam mb bob acct_mgmt)
check "bob's session (issuer one) at [service mb] account: not_authorized, kept" \
	"! succeeded && logged 'event=account result=deny reason=not_authorized service=mb user=bob .*issuer=one' && [ \"\$(store 5002 issuer)\" = one ]"
r=$(pam ma bob acct_mgmt)
check "  and at [service ma]: allowed from the store" \
	"succeeded && logged 'event=account result=allow reason=ok service=ma user=bob .*step=stored.*issuer=one'"

# ---- the degraded paths apply the same rule ----
down
r=$(pam ma_plus2h bob acct_mgmt)
check "providers down, token expired: bob's session on grace at [service ma]" \
	"succeeded && logged 'event=account result=allow reason=ok service=ma_plus2h user=bob .*step=grace.*issuer=one'"
r=$(pam mb_plus2h bob acct_mgmt)
check "providers down: bob's session of issuer one is not authorized at [service mb] (no grace there)" \
	"! succeeded && logged 'event=account result=deny reason=not_authorized service=mb_plus2h user=bob .*issuer=one'"
r=$(pam mb_plus2h bob authenticate bob-password)
check "providers down: bob's password at [service mb] does not unlock grace on his issuer-one session" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=mb_plus2h user=bob .*method=password'"
r=$(pam mb bob authenticate "$tok1")
check "providers down: the issuer-one token is still bad_issuer at [service mb]" \
	"! succeeded && [ \"\$(logcount 'event=auth result=deny reason=bad_issuer service=mb user=bob')\" = 2 ]"
r=$(pam ma_plus2h bob authenticate bob-password)
check "  while his password at [service ma] gets grace" \
	"succeeded && logged 'event=auth result=allow reason=ok service=ma_plus2h user=bob .*method=password.*step=grace'"
up

stop_all
trap - EXIT
suite_end
