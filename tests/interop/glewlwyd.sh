#!/bin/sh
# Interop with a second, different real OpenID provider: Debian's Glewlwyd
# 2.7 (C, sqlite backend) on 127.0.0.1, provisioned through its admin API
# (tests/interop/glewlwyd.py). It differs from oidc-provider where
# tolerance matters: errors come back as empty 400/403 bodies, token_type
# is "bearer" in lower case, its JWKS is sent with Cache-Control: no-store,
# and the access token's "aud" is the granted scope list.
# Everything goes through the real libpam (pam_wrapper) and tokengatectl;
# bounded: each login ends by its timeouts (device_timeout 30 s at most).
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-glew 755
GW="python3 $here/glewlwyd.py"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
$GW init "$T/g" "$port"
glewlwyd -c "$T/g/glewlwyd.conf" > "$T/g/stdout" 2>&1 &
GPID=$!
trap 'kill "$GPID" 2>/dev/null || true; wait "$GPID" 2>/dev/null || true' EXIT
if ! $GW provision "$T/g" "$port"; then
	echo "  glewlwyd did not come up:"; tail -n 20 "$T/g/glewlwyd.log" "$T/g/stdout" 2>/dev/null
	exit 1
fi
G=http://127.0.0.1:$port/api
glog() { sleep 0.1; grep -c -- "$1" "$T/g/glewlwyd.log" || true; }

nss_users alice:5001 bob:5002 carol:5003
printf 'linux-hosts-secret\n' > "$T/secret"
printf 'not-the-secret\n' > "$T/badsecret"
chmod 600 "$T/secret" "$T/badsecret"
# What an administrator writes for Glewlwyd (docs/ADMIN.md): the scope
# named after the hosts is both what is asked for and the audience.
cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
methods = token
http_connect_timeout = 1s
http_timeout = 3s
offline_grace = 12h

[issuer glewlwyd]
issuer = $G/oidc
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
scope = linux-hosts
audience = linux-hosts
algorithms = RS256

[issuer glewlwyd-ec]
issuer = $G/oidc-ec
allow_http_loopback = yes
audience = linux-hosts
algorithms = ES256

[service gw_pw]
methods = password

[service gw_pw_badclient]
methods = password

[service gw_dev]
methods = device, token
device_timeout = 30s
CONF
sed "s|^client_secret_file = .*|client_secret_file = $T/badsecret|" "$T/tg.conf" > "$T/bad.conf"
chmod 600 "$T/tg.conf" "$T/bad.conf"
for s in gw_tok gw_pw gw_dev; do service "$s"; done
sed "s|config=$T/tg.conf|config=$T/bad.conf|" "$T/svc/gw_pw" > "$T/svc/gw_pw_badclient"

field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
tok() { $GW token "$port" "$@" | field access_token; } # PLUGIN CLIENT USER PASSWORD SCOPE

echo "  glewlwyd $(glewlwyd --version 2>&1 | head -1) at $G"

# ---- discovery, keys, a token login ----
at=$(tok oidc linux-hosts alice alice-pw-1 linux-hosts)
r=$(ctl validate --issuer glewlwyd --user alice "$at")
check "discovery (issuer $G/oidc) and JWKS: tokengatectl validate accepts a Glewlwyd access token (typ at+jwt, RS256)" \
	"echo \"\$r\" | grep -q '^valid'"
r=$(pam gw_tok alice authenticate "$at")
check "token login through libpam with a Glewlwyd access token: PAM_SUCCESS, audited" \
	"succeeded && logged 'event=auth result=allow reason=ok service=gw_tok user=alice .*method=token'"
jwks_before=$(stat -c '%Y.%i' "$T"/cache/*jwks* 2>/dev/null || true)
r=$(pam gw_tok alice authenticate "$(tok oidc linux-hosts alice alice-pw-1 linux-hosts)")
check "  Glewlwyd sends its JWKS with Cache-Control: no-store; tokengate keeps it for jwks_min_ttl: a second login fetches nothing" \
	"succeeded && [ -n '$jwks_before' ] && [ \"\$(stat -c '%Y.%i' '$T'/cache/*jwks*)\" = '$jwks_before' ]"
r=$(ctl status)
check "tokengatectl status: one usable key, kept 5m despite max-age 0 (no-store), the circuit closed" \
	"echo \"\$r\" | grep -A4 '^issuer glewlwyd ' | grep -q 'keys *1 usable, .*ttl 5m (max-age 0)' && echo \"\$r\" | grep -A4 '^issuer glewlwyd ' | grep -q 'circuit *closed'"
at_ec=$(tok oidc-ec linux-hosts alice alice-pw-1 linux-hosts)
r=$(pam gw_tok alice authenticate "$at_ec")
# Another issuer is another identity (iss, sub): the account belongs to
# the first one until an administrator releases it.
check "a second issuer at the same provider (the oidc-ec plugin): another identity for alice's account, refused user_mismatch" \
	"! succeeded && logged 'event=auth result=deny reason=user_mismatch service=gw_tok user=alice .*iss=$G/oidc-ec .*alg=ES256'"
ctl revoke alice >/dev/null
r=$(pam gw_tok alice authenticate "$at_ec")
check "  after tokengatectl revoke alice the account is released, and the revocation sticks: the ES256 token is refused revoked (an online login comes first)" \
	"! succeeded && logged 'event=auth result=deny reason=revoked service=gw_tok user=alice .*iss=$G/oidc-ec'"

# ---- tokens that must not log in ----
other=$(tok oidc other-app alice alice-pw-1 openid)
r=$(pam gw_tok alice authenticate "$other")
check "alice's token for another client (aud \"openid\", Glewlwyd's scope-list audience): refused, bad_audience" \
	"! succeeded && logged 'event=auth result=deny reason=bad_audience service=gw_tok user=alice'"
bobs=$(tok oidc linux-hosts bob bob-pw-2 linux-hosts)
r=$(pam gw_tok alice authenticate "$bobs")
check "bob's token offered for alice: refused, user_mismatch" \
	"! succeeded && logged 'event=auth result=deny reason=user_mismatch service=gw_tok user=alice'"

# ---- the device method: a person approves at Glewlwyd while the login waits ----
cat > "$T/person.sh" <<HOOK
#!/bin/sh
code=\$(printf '%s' "\$PAMSEQ_PROMPT" | sed -n 's/.*enter the code \([A-Z0-9-]*\)).*/\1/p')
[ -n "\$code" ] || exit 0
$GW approve "$port" oidc linux-hosts alice alice-pw-1 linux-hosts "\$code" > "$T/person.out" 2>&1
HOOK
chmod +x "$T/person.sh"
t0=$(now_ms)
PAMSEQ_HOOK=$T/person.sh seq_run gw_dev alice "" > "$T/dev" 2>&1 && seq=0 || seq=$?
ms=$(($(now_ms) - t0))
r=$(cat "$T/dev" "$T/person.out" 2>/dev/null)
echo "  device login at Glewlwyd (approved, then Enter): $ms ms"
check "device login (RFC 8628 at Glewlwyd, approved through its device page): auth -> account -> session succeed" \
	"[ $seq = 0 ] && grep -q 'prompt=deviceComplete' '$T/person.out' && logged 'event=auth result=allow reason=ok service=gw_dev user=alice .*method=device'"
check "  the session holds Glewlwyd's refresh token" "[ -n \"\$(store 5001 refresh_token)\" ] && [ \"\$(store 5001 method)\" = device ]"

# ---- the password method: password grant, session, refresh ----
GRANTED="Refresh token generated for client 'linux-hosts' granted by user 'alice'"
grants=$(glog "$GRANTED")
r=$(pam gw_pw alice authenticate alice-pw-1)
check "password login (password grant at Glewlwyd): PAM_SUCCESS, a session with a refresh token" \
	"succeeded && [ -n \"\$(store 5001 refresh_token)\" ] && [ \"\$(store 5001 method)\" = password ] && logged 'event=auth result=allow reason=ok service=gw_pw user=alice .*method=password'"
check "  Glewlwyd saw exactly one grant for alice from client linux-hosts" \
	"[ \"\$(glog \"\$GRANTED\")\" = $((grants + 1)) ]"
r=$(pam gw_pw alice acct_mgmt)
check "  the account stage accepts the stored session" "echo \"\$r\" | grep -q 'management done'"
r=$(pam gw_pw alice authenticate wrong-password)
check "a wrong password: Glewlwyd answers an empty 403; refused as bad_password, the audit says what came back" \
	"! succeeded && logged 'event=auth result=deny reason=bad_password service=gw_pw user=alice .*HTTP 403 with an empty body'"
r=$(pam gw_pw carol authenticate carol-pw-3)
check "carol, who lacks the linux-hosts scope at Glewlwyd: refused, no session stored" \
	"! succeeded && [ ! -e '$T/store/5003' ] && logged 'event=auth result=deny reason=bad_password service=gw_pw user=carol'"
r=$(pam gw_pw_badclient bob authenticate bob-pw-2)
check "a wrong client secret (Glewlwyd: empty 400): refused, no crash, no session for bob" \
	"! succeeded && [ ! -e '$T/store/5002' ] && logged 'event=auth result=deny reason=bad_password service=gw_pw_badclient user=bob .*HTTP 400 with an empty body'"

old_at=$(store 5001 access_token)
r=$(ctl refresh --ahead 2h alice)
check "tokengatectl refresh: the refresh_token grant at Glewlwyd (token_type \"bearer\", lower case) renews the session" \
	"echo \"\$r\" | grep -q 'alice .*renewed' && [ \"\$(store 5001 access_token)\" != \"\$old_at\" ]"
r=$(pam gw_pw alice acct_mgmt)
check "  the account stage accepts the renewed session" "echo \"\$r\" | grep -q 'management done'"

# ---- revocation (RFC 7009) ----
r=$(pam gw_pw bob authenticate bob-pw-2)
rt=$(store 5002 refresh_token)
r=$(ctl revoke bob)
check "tokengatectl revoke: revoked at Glewlwyd (RFC 7009), purged here" \
	"[ -n '$rt' ] && [ ! -e '$T/store/5002' ] && [ \"\$(glog 'Refresh token generated for client .linux-hosts. revoked')\" -ge 1 ]"
code=$(curl -s -o /dev/null -w '%{http_code}' -u linux-hosts:linux-hosts-secret -d grant_type=refresh_token --data-urlencode "refresh_token=$rt" "$G/oidc/token")
check "  Glewlwyd refuses the revoked refresh token from now on (HTTP $code)" "[ '$code' = 400 ]"

# ---- Glewlwyd gone ----
kill "$GPID"; wait "$GPID" 2>/dev/null || true
r=$(pam gw_tok alice authenticate "$at")
check "Glewlwyd stopped: a token login still succeeds from the cached keys" "succeeded"
r=$(pam gw_pw alice authenticate alice-pw-1)
check "  a password login inside the offline grace succeeds, audited as grace" \
	"succeeded && logged 'event=auth result=allow reason=ok service=gw_pw user=alice .*grace'"

suite_end
