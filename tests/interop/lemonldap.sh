#!/bin/sh
# Interop with a third, different real OpenID provider: Debian's
# LemonLDAP::NG 2.16 portal (Perl), run with plackup on 127.0.0.1 behind
# the fault proxy (tests/idp/faultproxy.py), its private lemonldap-ng.ini
# and File configuration under $T, the OpenID issuer configured with
# LemonLDAP::NG's own CLI (lemonldap-ng-cli, the manager package); its
# Demo users (dwho, rtyler, msmith; the password is the login).
# Nothing under /etc or /var is used or changed.
#
# It differs from oidc-provider and Glewlwyd where tolerance matters:
# - no device authorization endpoint at all (2.16 has none: no
#   device_authorization anywhere in its Perl modules): a device login is
#   refused at once, as a configuration error, even with methods = device,
#   password; the audit record says the provider has no
#   device_authorization_endpoint and the user is told to contact the
#   administrator. The password method (methods = password) works: that
#   is what to configure for LemonLDAP::NG;
# - access tokens carry typ "JWT" (not at+jwt): accepted only when the
#   administrator lists JWT in access_token_types, refused bad_type else;
# - a refresh answer carries no new refresh token (no rotation): the old
#   one is kept and still works;
# - no revocation endpoint: tokengatectl revoke says so and still purges;
# - its JWKS keys have no "alg" member; "aud" is a list [client_id];
# - a refresh token whose SSO session ended is answered invalid_grant (a
#   revocation: purged), but one it no longer knows at all invalid_request
#   (RFC 6749 says invalid_grant): not a revocation to tokengate, the
#   session lasts as long as its access token and is not renewed.
# Everything goes through the real libpam (pam_wrapper) and tokengatectl;
# bounded: the portal runs under timeout, the fault proxy stops by itself
# after 15 minutes, the CLI and every request have time limits, and every
# wait is a bounded poll.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-lemon
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$TG_IDP_DIR/lib.sh"

L=$T/l
mkdir -p "$L/conf" "$L/sessions/lock" "$L/psessions/lock" "$L/cache"
: > "$L/portal.log"
python3 "$TG_IDP_DIR/faultproxy.py" "$L" > "$L/proxy.log" 2>&1 &
PROXY_PID=$!
LPID=
stop_all() {
	kill "$PROXY_PID" $LPID 2>/dev/null || true
	wait "$PROXY_PID" $LPID 2>/dev/null || true
}
trap stop_all EXIT
wait_file "$L/proxy-port" || { echo "  the fault proxy did not start"; exit 1; }
SUITE_PROXY_DIR=$L
mode pass
PURL=http://127.0.0.1:$(cat "$L/proxy-port")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "http://127.0.0.1:$port" > "$L/upstream"

# ---- the portal's own files: lemonldap-ng.ini and configuration 1 ----
# The ini names the File backend under $L; [manager] is what the CLI
# needs (it runs the manager's configuration module).
cat > "$L/lemonldap-ng.ini" <<INI
[all]
logLevel = notice
checkTime = 1

[configuration]
type = File
dirName = $L/conf

[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en

[manager]
protection = none
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/manager/htdocs/templates
languages = en
enabledModules = conf
INI
# The smallest first configuration (storage under $L, the Demo users);
# the OpenID issuer is then added with the CLI, as an administrator does.
cat > "$L/conf/lmConf-1.json" <<JSON
{"cfgNum": 1, "cfgAuthor": "tokengate tests", "cfgDate": "$(date +%s)", "cfgVersion": "2.16.1",
 "authentication": "Demo", "userDB": "Same", "passwordDB": "Demo", "registerDB": "Null",
 "portal": "$PURL/", "domain": "example.test", "cookieName": "lemonldap", "securedCookie": 0,
 "whatToTrace": "uid", "notification": 0, "loginHistoryEnabled": 0,
 "globalStorage": "Apache::Session::File",
 "globalStorageOptions": {"Directory": "$L/sessions", "LockDirectory": "$L/sessions/lock",
   "generateModule": "Lemonldap::NG::Common::Apache::Session::Generate::SHA256"},
 "persistentStorage": "Apache::Session::File",
 "persistentStorageOptions": {"Directory": "$L/psessions", "LockDirectory": "$L/psessions/lock"},
 "localSessionStorage": "Cache::FileCache",
 "localSessionStorageOptions": {"cache_root": "$L/cache", "cache_depth": 3,
   "default_expires_in": 600, "namespace": "lemonldap-ng-sessions", "directory_umask": "007"},
 "demoExportedVars": {"cn": "cn", "mail": "mail", "uid": "uid"},
 "exportedVars": {}, "locationRules": {}, "macros": {}, "groups": {}}
JSON
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$L/sig.key" 2>/dev/null
openssl pkey -in "$L/sig.key" -pubout -out "$L/sig.pub"
export LLNG_DEFAULTCONFFILE="$L/lemonldap-ng.ini"
llcli() {
	timeout 60 /usr/share/lemonldap-ng/bin/lemonldap-ng-cli --user=root --group=root \
		-iniFile "$L/lemonldap-ng.ini" -yes 1 "$@" >> "$L/cli.log" 2>&1 ||
		{ echo "  lemonldap-ng-cli $1 failed:"; tail -n 20 "$L/cli.log"; exit 1; }
}
# The issuer (its public URL is the proxy's), its RS256 signing key.
llcli set issuerDBOpenIDConnectActivation 1 oidcServiceMetaDataIssuer "$PURL" \
	oidcServicePrivateKeySig "$(cat "$L/sig.key")" oidcServicePublicKeySig "$(cat "$L/sig.pub")" \
	oidcServiceKeyIdSig tg-lemon-1
# The relying party linux-hosts: confidential, the password grant,
# refresh tokens, JWT access tokens signed RS256 carrying the user's
# claims (preferred_username = uid), valid 1h; msmith is not allowed on
# the hosts (its access rule). other-app: another client of the portal.
R=oidcRPMetaDataOptions/linux-hosts
llcli addKey $R oidcRPMetaDataOptionsClientID linux-hosts \
	$R oidcRPMetaDataOptionsClientSecret linux-hosts-secret $R oidcRPMetaDataOptionsPublic 0 \
	$R oidcRPMetaDataOptionsAllowPasswordGrant 1 $R oidcRPMetaDataOptionsRefreshToken 1 \
	$R oidcRPMetaDataOptionsAccessTokenJWT 1 $R oidcRPMetaDataOptionsAccessTokenSignAlg RS256 \
	$R oidcRPMetaDataOptionsAccessTokenClaims 1 $R oidcRPMetaDataOptionsIDTokenSignAlg RS256 \
	$R oidcRPMetaDataOptionsAccessTokenExpiration 3600 \
	$R oidcRPMetaDataOptionsRedirectUris http://127.0.0.1/unused \
	$R oidcRPMetaDataOptionsRule '$uid ne "msmith"' \
	oidcRPMetaDataExportedVars/linux-hosts preferred_username uid \
	oidcRPMetaDataExportedVars/linux-hosts name cn \
	oidcRPMetaDataExportedVars/linux-hosts email mail
R=oidcRPMetaDataOptions/other-app
llcli addKey $R oidcRPMetaDataOptionsClientID other-app \
	$R oidcRPMetaDataOptionsClientSecret other-app-secret $R oidcRPMetaDataOptionsPublic 0 \
	$R oidcRPMetaDataOptionsAllowPasswordGrant 1 $R oidcRPMetaDataOptionsAccessTokenJWT 1 \
	$R oidcRPMetaDataOptionsAccessTokenClaims 1 $R oidcRPMetaDataOptionsIDTokenSignAlg RS256 \
	$R oidcRPMetaDataOptionsRedirectUris http://127.0.0.1/unused \
	oidcRPMetaDataExportedVars/other-app preferred_username uid

t0=$(now_ms)
timeout 900 plackup -s HTTP::Server::PSGI --host 127.0.0.1 --port "$port" \
	/usr/share/lemonldap-ng/portal/htdocs/index.psgi >> "$L/portal.log" 2>&1 &
LPID=$!
i=0
until curl -s -f -m 2 -o "$L/disco.json" "$PURL/.well-known/openid-configuration"; do
	i=$((i + 1))
	if [ $i -gt 150 ] || ! kill -0 "$LPID" 2>/dev/null; then
		echo "  the LemonLDAP::NG portal did not come up:"; tail -n 20 "$L/portal.log"; exit 1
	fi
	sleep 0.2
done
echo "  LemonLDAP::NG $(dpkg-query -W -f='${Version}' liblemonldap-ng-portal-perl) at $PURL (portal on port $port, up in $(($(now_ms) - t0)) ms; configuration $(ls "$L/conf" | sort -V | tail -1))"

nss_users dwho:5001 rtyler:5002 msmith:5003
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
# What an administrator writes for LemonLDAP::NG (docs/ADMIN.md): its
# access tokens are typ JWT and signed RS256, the audience is the
# client_id. The user's name is in the access token only when the
# relying party releases its claims there ("Release claims in access
# token", oidcRPMetaDataOptionsAccessTokenClaims), and preferred_username
# is a profile claim: the scope asks for it (unless the portal releases
# every exported claim whatever the scope, oidcServiceIgnoreScopeForClaims,
# as Debian's shipped configuration does).
cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
methods = token
http_connect_timeout = 1s
http_timeout = 3s
offline_grace = 12h

[issuer lemonldap]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
scope = openid profile
audience = linux-hosts
# LemonLDAP::NG writes typ "JWT" in the header of its access tokens
access_token_types = JWT
algorithms = RS256
circuit_failures = 50

[service ll_pw]
methods = password

[service ll_due]
methods = password
refresh_ahead = 2h

[service ll_dev]
methods = device, password
device_timeout = 10s

[service ll_plus2h]
methods = token, password

[service ll_nograce]
offline_grace = 0s
CONF
grep -v '^access_token_types = JWT$' "$T/tg.conf" > "$T/strict.conf"
chmod 600 "$T/tg.conf" "$T/strict.conf"
for s in ll_tok ll_pw ll_due ll_dev; do service "$s"; done
service ll_plus2h clock=+7200
service ll_plus13h clock=+46800
service ll_nograce clock=+7200
sed "s|config=$T/tg.conf|config=$T/strict.conf|" "$T/svc/ll_tok" > "$T/svc/ll_tok_strict"

field() { python3 -c "import json,sys; print(json.load(sys.stdin).get('$1', ''))"; }
grant() { # CLIENT:SECRET FORM... -> the token endpoint's JSON answer
	_c=$1; shift
	curl -s -m 5 -u "$_c" "$@" "$PURL/oauth2/token"
}
tok() { grant linux-hosts:linux-hosts-secret -d grant_type=password -d "username=$1" -d "password=$1" -d 'scope=openid profile' | field access_token; }
jwt_header() { python3 -c "import base64,sys; h=sys.argv[1].split('.')[0]; print(base64.urlsafe_b64decode(h + '=' * (-len(h) % 4)).decode())" "$1"; }
tokens() { grep -c '"POST /oauth2/token HTTP/1.1" 200' "$L/portal.log" || true; }

# ---- discovery: what LemonLDAP::NG publishes ----
r=$(python3 -c "import json; d=json.load(open('$L/disco.json')); print(' '.join(sorted(k for k in d if k.endswith('endpoint'))), d['grant_types_supported'])")
check "discovery: a token endpoint, the password and refresh_token grants, and neither a device authorization nor a revocation endpoint" \
	"echo \"\$r\" | grep -q token_endpoint && echo \"\$r\" | grep -q \"'password'\" && echo \"\$r\" | grep -q \"'refresh_token'\" && ! echo \"\$r\" | grep -q -e device_authorization_endpoint -e revocation_endpoint"
check "  and the installed portal has no device authorization code at all (grep of its Perl modules)" \
	"[ -d /usr/share/perl5/Lemonldap/NG/Portal ] && ! grep -r -q -i device_authorization /usr/share/perl5/Lemonldap/NG/"

# ---- the access token: typ JWT, RS256, a JWKS without alg ----
at=$(tok dwho)
r=$(jwt_header "$at")
check "its access token header: typ JWT, alg RS256, kid tg-lemon-1" \
	"echo '$r' | grep -q '\"typ\":\"JWT\"' && echo '$r' | grep -q '\"alg\":\"RS256\"' && echo '$r' | grep -q '\"kid\":\"tg-lemon-1\"'"
r=$(curl -s -m 5 "$PURL/oauth2/jwks")
check "  its JWKS: one RSA key with kid and use, and no alg member (tokengate binds the key to RS256 by kty)" \
	"echo '$r' | python3 -c 'import json,sys; k=json.load(sys.stdin)[\"keys\"]; assert len(k) == 1 and k[0][\"kty\"] == \"RSA\" and k[0][\"kid\"] == \"tg-lemon-1\" and \"alg\" not in k[0]'"
r=$(ctl validate --issuer lemonldap --user dwho --explain "$at") || true
check "tokengatectl validate --explain with access_token_types = JWT: valid (typ, iss, aud list, preferred_username)" \
	"echo \"\$r\" | grep -q '^valid: iss=$PURL sub=dwho user=dwho kid=tg-lemon-1 alg=RS256' && echo \"\$r\" | grep -q 'ok *typ'"
echo "$r" | sed 's/^/       | /'
r=$(CTL_CONF=$T/strict.conf ctl validate --issuer lemonldap --user dwho "$at") || true
check "  without JWT in access_token_types (the default at+jwt only): refused bad_type" "echo \"\$r\" | grep -q bad_type"
r=$(pam ll_tok dwho authenticate "$at")
check "token login through libpam with a LemonLDAP::NG access token: PAM_SUCCESS, audited" \
	"succeeded && logged 'event=auth result=allow reason=ok service=ll_tok user=dwho .*method=token'"
r=$(pam ll_tok_strict dwho authenticate "$at")
check "  the same token at a service whose issuer lacks access_token_types = JWT: refused, bad_type" \
	"! succeeded && logged 'event=auth result=deny reason=bad_type service=ll_tok_strict user=dwho'"
other=$(grant other-app:other-app-secret -d grant_type=password -d username=dwho -d password=dwho -d 'scope=openid profile' | field access_token)
r=$(pam ll_tok dwho authenticate "$other")
check "dwho's token for another client of the portal (aud [\"other-app\"]): refused, bad_audience" \
	"[ -n '$other' ] && ! succeeded && logged 'event=auth result=deny reason=bad_audience service=ll_tok user=dwho'"
r=$(pam ll_tok dwho authenticate "$(tok rtyler)")
check "rtyler's token offered for dwho: refused, user_mismatch" \
	"! succeeded && logged 'event=auth result=deny reason=user_mismatch service=ll_tok user=dwho'"
ctl revoke dwho >/dev/null

# ---- the device method: there is no device endpoint ----
r=$(pam ll_dev dwho authenticate "")
check "device method at LemonLDAP::NG (methods = device, password): refused at once, the user told to contact the administrator" \
	"! succeeded && grep -q 'Login is unavailable; contact your administrator' '$T/out'"
check "  the audit names it: no usable device_authorization_endpoint (a configuration error, not bad_password)" \
	"logged 'event=auth result=deny reason=internal service=ll_dev user=dwho .*method=device .*device authorization: the provider has no usable device_authorization_endpoint'"
r=$(pam ll_pw dwho authenticate dwho)
check "  the password method at the same provider logs dwho in (methods = password)" \
	"succeeded && logged 'event=auth result=allow reason=ok service=ll_pw user=dwho .*method=password'"
ctl revoke dwho >/dev/null

# ---- the password method: password grant, session ----
n0=$(tokens)
r=$(pam ll_pw dwho authenticate dwho)
check "password login (password grant at LemonLDAP::NG): PAM_SUCCESS, a session with a refresh token" \
	"succeeded && [ -n \"\$(store 5001 refresh_token)\" ] && [ \"\$(store 5001 method)\" = password ] && logged 'event=auth result=allow reason=ok service=ll_pw user=dwho .*method=password'"
check "  the portal answered exactly one token request for it" "[ \"\$(tokens)\" = $((n0 + 1)) ]"
r=$(pam ll_pw dwho acct_mgmt)
check "  the account stage accepts the stored session" "echo \"\$r\" | grep -q 'management done'"
r=$(pam ll_pw dwho authenticate wrong-password)
check "a wrong password (LemonLDAP::NG: invalid_grant): refused, reason bad_password" \
	"! succeeded && logged 'event=auth result=deny reason=bad_password service=ll_pw user=dwho'"
r=$(pam ll_pw msmith authenticate msmith)
check "msmith, refused by the relying party's access rule (invalid_grant): refused bad_password, no session stored" \
	"! succeeded && [ ! -e '$T/store/5003' ] && logged 'event=auth result=deny reason=bad_password service=ll_pw user=msmith'"

# ---- refresh without rotation ----
rt0=$(grant linux-hosts:linux-hosts-secret -d grant_type=password -d username=rtyler -d password=rtyler -d 'scope=openid profile' | field refresh_token)
r=$(grant linux-hosts:linux-hosts-secret -d grant_type=refresh_token --data-urlencode "refresh_token=$rt0")
check "LemonLDAP::NG's refresh answer: a new access token and no refresh_token member (no rotation)" \
	"echo '$r' | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"access_token\"] and \"refresh_token\" not in d'"
rt=$(store 5001 refresh_token)
at1=$(store 5001 access_token)
r=$(pam ll_due dwho acct_mgmt)
check "account stage with refresh_ahead 2h (a 1h token): refreshed, allowed, audited step=refresh" \
	"succeeded && logged 'event=refresh result=ok .*service=ll_due user=dwho' && logged 'event=account result=allow .*service=ll_due user=dwho .*step=refresh' && [ \"\$(store 5001 access_token)\" != '$at1' ]"
check "  the store keeps the old refresh token (the answer had none)" "[ -n '$rt' ] && [ \"\$(store 5001 refresh_token)\" = '$rt' ]"
at2=$(store 5001 access_token)
r=$(ctl refresh --ahead 2h dwho) || true
check "  a second refresh with the same refresh token works (tokengatectl refresh: renewed)" \
	"echo \"\$r\" | grep -q 'dwho .*renewed' && [ \"\$(store 5001 access_token)\" != '$at2' ] && [ \"\$(store 5001 refresh_token)\" = '$rt' ]"
r=$(pam ll_pw dwho acct_mgmt)
check "  the account stage accepts the renewed session" "echo \"\$r\" | grep -q 'management done'"

# ---- outage with grace (the fault proxy resets every connection) ----
mode reset
r=$(pam ll_plus2h dwho acct_mgmt)
check "portal unreachable, 2h after the last online check (token expired): allowed inside offline_grace 12h" \
	"succeeded && logged 'event=grace result=allow reason=idp_unreachable .*service=ll_plus2h user=dwho' && logged 'event=account result=allow .*service=ll_plus2h user=dwho .*step=grace'"
r=$(pam ll_plus2h dwho authenticate dwho)
check "  a password login then: the offline verifier, audited as grace" \
	"succeeded && logged 'event=auth result=allow reason=ok service=ll_plus2h user=dwho .*step=grace'"
r=$(pam ll_plus13h dwho acct_mgmt)
check "  13h after: refused, grace_expired" \
	"! succeeded && logged 'event=account result=deny reason=grace_expired service=ll_plus13h user=dwho'"
r=$(pam ll_nograce dwho acct_mgmt)
check "  a service with offline_grace = 0s: refused, grace_expired" \
	"! succeeded && logged 'event=account result=deny reason=grace_expired service=ll_nograce user=dwho'"
mode pass
r=$(pam ll_pw dwho acct_mgmt)
check "  the portal reachable again: the session is still good" "echo \"\$r\" | grep -q 'management done'"

# ---- revocation: LemonLDAP::NG has no revocation endpoint ----
r=$(ctl revoke dwho) || true
check "tokengatectl revoke dwho: says the provider has no revocation endpoint, and purges the session here" \
	"echo \"\$r\" | grep -q 'dwho .*the provider has no revocation endpoint.*session purged' && [ ! -e '$T/store/5001' ] && logged 'event=store result=purge reason=revoked service=tokengatectl user=dwho .*no revocation endpoint'"
r=$(pam ll_pw dwho acct_mgmt)
check "  the next account check is refused as revoked" \
	"! succeeded && logged 'event=account result=deny reason=revoked service=ll_pw user=dwho'"
code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 -u linux-hosts:linux-hosts-secret -d grant_type=refresh_token --data-urlencode "refresh_token=$rt" "$PURL/oauth2/token")
check "  (the refresh token still works at LemonLDAP::NG: HTTP $code, nothing was revoked there)" "[ '$code' = 200 ]"

r=$(pam ll_pw dwho authenticate dwho)
check "  a fresh online password login after the revocation starts a new session" \
	"succeeded && [ -n \"\$(store 5001 refresh_token)\" ]"

# ---- sessions ending at LemonLDAP::NG ----
r=$(pam ll_pw rtyler authenticate rtyler)
rt=$(store 5002 refresh_token)
sso=$(python3 -c "import json; print(json.load(open('$L/sessions/$rt'))['user_session_id'])" 2>/dev/null || true)
rm -f "$L/sessions/$sso"
r=$(pam ll_due rtyler acct_mgmt)
check "rtyler's SSO session at the portal ends (its session file removed, as a logout does): the refresh gets invalid_grant, refused revoked, purged" \
	"[ -n '$sso' ] && ! succeeded && logged 'event=refresh result=deny reason=revoked .*service=ll_due user=rtyler' && [ ! -e '$T/store/5002' ]"
ctl revoke rtyler >/dev/null
r=$(pam ll_pw rtyler authenticate rtyler)
rt=$(store 5002 refresh_token)
rm -f "$L/sessions/$rt"
r=$(pam ll_due rtyler acct_mgmt)
check "a refresh token the portal no longer knows (its file removed): answered invalid_request, not invalid_grant; not taken as a revocation: allowed on the stored token, not renewed" \
	"succeeded && logged 'event=refresh result=error reason=internal service=ll_due user=rtyler .*detail=invalid_request' && logged 'event=account result=allow .*service=ll_due user=rtyler .*step=stored .*not renewed (internal: invalid_request)' && [ \"\$(store 5002 refresh_token)\" = '$rt' ]"
r=$(pam ll_plus2h rtyler acct_mgmt)
check "  once the access token has expired (2h on), with the portal reachable: refused, no grace" \
	"! succeeded && logged 'event=account result=deny reason=internal service=ll_plus2h user=rtyler' && ! logged 'event=grace .*service=ll_plus2h user=rtyler'"

# ---- the portal itself gone ----
kill "$LPID"; wait "$LPID" 2>/dev/null || true
LPID=
r=$(pam ll_plus2h dwho acct_mgmt)
check "the portal process stopped: dwho's account check 2h on is allowed on grace" \
	"succeeded && logged 'event=account result=allow .*service=ll_plus2h user=dwho .*step=grace'"

suite_end
