#!/bin/sh
# Providers as they document themselves: the provider here in each quirk
# mode of tests/idp/server.js (POST /test/quirk: Keycloak, Entra ID v2 and
# its groups overage, Google, Okta's custom and org authorization servers;
# the documentation each follows is cited there), each driving real logins
# through libpam (pam_wrapper + libpamtest): a password login, a device
# login, a refresh and an outage with grace, and the refusals that matter.
# Each mode's [issuer] section below is what an administrator writes for
# that provider (docs/ copy them); each mode has its own store, as each
# would be its own deployment. Users and helpers: tests/session/common.sh.
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
quirk() { curl -s -X POST "$UP/test/quirk?mode=$1" >/dev/null; }
# Entra's object ids for a name, as the provider makes them (server.js guid)
guid() { python3 -c "import hashlib,sys; h=hashlib.sha256(sys.argv[1].encode()).hexdigest(); print(f'{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}')" "$1"; }
DEVS_OID=$(guid group:devs)

# The person at the verification page (tests/session/device.sh)
device_person
# devlogin NAME SERVICE: a device login approved at once; output in $T/NAME
devlogin() {
	PAMSEQ_HOOK="$T/person.sh" seq_run "$2" alice "" > "$T/$1" 2>&1 && seq=0 || seq=$?
	r=$(cat "$T/$1")
}
# qconf MODE: the [global] part of mode MODE's configuration, its own store;
# the [issuer] section follows from stdin. Services: q_MODE (password),
# q_MODE_due (refresh due), q_MODE_2h (2 h on, for grace), q_MODE_dev.
qconf() {
	{
		cat <<CONF
[global]
store_dir = $T/store-$1
cache_dir = $T/cache-$1
methods = token, password
http_connect_timeout = 1s
http_timeout = 2s
offline_grace = 12h

CONF
		cat
		cat <<CONF

[service q_$1_due]
refresh_ahead = 15m

[service q_$1_dev]
methods = device
device_timeout = 20s
CONF
	} > "$T/$1.conf"
	chmod 600 "$T/$1.conf"
	for _s in "q_$1" "q_$1_due" "q_$1_dev"; do service "$_s"; done
	service "q_$1_2h" clock=+7200
	for _s in "q_$1" "q_$1_due" "q_$1_dev" "q_$1_2h"; do
		sed -i "s|config=$T/tg.conf|config=$T/$1.conf|" "$T/svc/$_s"
	done
}
# qstore MODE UID KEY: a member of the mode's session file
qstore() { python3 -c "import json,sys; d=json.load(open('$T/store-$1/$2')); print(d.get('$3',''))" 2>/dev/null || true; }
# the header or payload (1) of a stored token, as JSON
part() { python3 -c "import base64,json,sys; s=sys.argv[1].split('.')[$2]; print(json.dumps(json.loads(base64.urlsafe_b64decode(s+'='*(-len(s)%4)))))" "$1" 2>/dev/null; }

# every mode: a password login, a device login, a refresh, an outage with
# grace (the provider unreachable through the fault proxy, 2 h on)
four() { # MODE
	reset
	r=$(pam "q_$1" alice authenticate alice-password)
	check "$1: password login" \
		"succeeded && logged 'event=auth result=allow reason=ok service=q_$1 user=alice .*method=password'"
	devlogin "dev-$1" "q_$1_dev"
	check "$1: device login (approved at the provider)" \
		"[ $seq = 0 ] && [ \"\$(qstore $1 5001 method)\" = device ] && logged 'event=auth result=allow reason=ok service=q_$1_dev user=alice .*method=device'"
	_rt0=$(qstore "$1" 5001 refresh_token)
	r=$(pam "q_$1_due" alice acct_mgmt)
	check "$1: refresh (account stage, refresh due)" \
		"succeeded && [ \"\$(count grant:refresh_token)\" = 1 ] && [ \"\$(errors)\" = 0 ] && logged 'event=account result=allow reason=ok service=q_$1_due user=alice .*step=refresh'"
	_rt1=$(qstore "$1" 5001 refresh_token)
	mode reset
	r=$(pam "q_$1_2h" alice acct_mgmt)
	r2=$(pam "q_$1_2h" alice authenticate alice-password)
	mode pass
	check "$1: provider down 2 h later: the session and the password on grace" \
		"succeeded && echo '$r2' | grep -q successfully && logged 'event=account result=allow reason=ok service=q_$1_2h user=alice .*step=grace' && logged 'event=auth result=allow reason=ok service=q_$1_2h user=alice .*method=password.*step=grace'"
}

# ---- Keycloak ----
# realm roles in realm_access.roles, typ JWT, aud = the Audience mapper's
# value plus "account", azp = the client
qconf keycloak <<CONF
[issuer keycloak]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
audience = linux-hosts-api
access_token_types = JWT
groups_claim = realm_access.roles
allowed_groups = devs
CONF
quirk keycloak
four keycloak
tok=$(qstore keycloak 5001 access_token)
check "keycloak: the session's token is Keycloak's (typ JWT, aud with account, realm_access.roles, azp)" \
	"part '$tok' 0 | grep -q '\"typ\": \"JWT\"' && part '$tok' 1 | grep -q '\"account\"' && part '$tok' 1 | grep -q '\"realm_access\": {\"roles\": \\[\"devs\"' && part '$tok' 1 | grep -q '\"azp\": \"linux-hosts\"'"
r=$(pam q_keycloak bob authenticate bob-password)
check "keycloak: bob (realm role admins, not devs) refused, not_authorized" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=q_keycloak user=bob'"
# The same without groups_claim (default: groups, which Keycloak does not send)
sed '/^groups_claim = /d' "$T/keycloak.conf" > "$T/keycloak-nogc.conf"
chmod 600 "$T/keycloak-nogc.conf"
sed "s|config=$T/keycloak.conf|config=$T/keycloak-nogc.conf|" "$T/svc/q_keycloak" > "$T/svc/q_keycloak_nogc"
r=$(pam q_keycloak_nogc alice authenticate alice-password)
check "keycloak without groups_claim = realm_access.roles: alice refused (no groups claim), not_authorized" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=q_keycloak_nogc user=alice'"
# Keycloak's ID token (typ ID in its payload) is not an access token here
idt=$(curl -s -u linux-hosts:linux-hosts-secret -d grant_type=password -d username=alice \
	-d password=alice-password -d scope=openid "$UP/token" |
	python3 -c "import json,sys; print(json.load(sys.stdin).get('id_token',''))")
r=$(pam q_keycloak alice authenticate "$idt")
check "keycloak: its ID token typed at the token prompt is no access token here (bad_type or bad_audience)" \
	"[ -n '$idt' ] && ! succeeded && logged 'event=auth result=deny reason=bad_\\(type\\|audience\\) service=q_keycloak user=alice .*method=token'"

# ---- Entra ID (v2.0 tokens) ----
# UPN preferred_username mapped by the domain, groups as object ids
qconf entra <<CONF
[issuer entra]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
audience = 3c9a7e21-8b4d-4f6a-b1e2-7d5c9f0a4e18
access_token_types = JWT
username_strip_domains = corp.example
allowed_groups = $DEVS_OID
CONF
quirk entra
four entra
tok=$(qstore entra 5001 access_token)
check "entra: the session's token is Entra's (oid, tid, UPN preferred_username, groups as object ids)" \
	"part '$tok' 1 | grep -q '\"preferred_username\": \"alice@corp.example\"' && part '$tok' 1 | grep -q '\"tid\": ' && part '$tok' 1 | grep -q '\"oid\": ' && part '$tok' 1 | grep -q '\"groups\": \\[\"$DEVS_OID\"\\]'"
check "  mapped by username_strip_domains: the session is alice's, it keeps the UPN as sent" \
	"python3 -c \"import json; d=json.load(open('$T/store-entra/5001')); assert d['claims']['username']=='alice@corp.example', d\""
r=$(pam q_entra bob authenticate bob-password)
check "entra: bob (another group's object id) refused, not_authorized" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=q_entra user=bob'"

# ---- Entra ID groups overage ----
# alice is now in more groups than fit in a token: no groups claim, but
# _claim_names / _claim_sources. Refused with the reason, never "no groups".
quirk entra-overage
reset
r=$(pam q_entra_due alice acct_mgmt)
check "entra-overage: alice's refresh brings an overage token: refused, not_authorized, the refresh record says groups overage" \
	"! succeeded && [ \"\$(count grant:refresh_token)\" = 1 ] && logged 'event=refresh result=deny reason=not_authorized service=q_entra_due user=alice .*detail=\"groups overage: '"
r=$(pam q_entra alice authenticate alice-password)
check "entra-overage: password login refused, not_authorized, detail: groups overage and what to configure at Entra" \
	"! succeeded && echo '$r' | grep -q 'Permission denied' && logged 'event=auth result=deny reason=not_authorized service=q_entra user=alice .*method=password.*detail=\"groups overage: .*groupMembershipClaims ApplicationGroup'"
devlogin dev-overage q_entra_dev
check "entra-overage: device login refused the same way" \
	"[ $seq != 0 ] && logged 'event=auth result=deny reason=not_authorized service=q_entra_dev user=alice .*method=device.*detail=\"groups overage: '"
otok=$(curl -s -u linux-hosts:linux-hosts-secret -d grant_type=password -d username=alice \
	-d password=alice-password "$UP/token" | python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
check "  tokengatectl validate --explain names the overage" \
	"CTL_CONF=$T/entra.conf ctl validate --issuer entra --explain '$otok' | grep -q 'overage.*groups overage: '"
quirk entra

# ---- Okta, custom authorization server (default) ----
# access token aud api://default, cid, uid, scp array, sub = the login, a
# groups claim added at the server, and no typ in its header
# (access_token_types lists none for that). The access token is the
# session: its sub is the person's login (the ID token's sub is the Okta
# user id, another identity to tokengate, never mixed in: the issuer's
# keys signed the access token, so it decides)
qconf okta <<CONF
[issuer okta]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
audience = api://default
# Okta's access tokens have no typ in their header
access_token_types = at+jwt application/at+jwt none
username_claim = sub
username_strip_domains = corp.example
allowed_groups = devs
CONF
quirk okta-custom
four okta
r=$(pam q_okta bob authenticate bob-password)
check "okta: bob (group admins) refused, not_authorized" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=q_okta user=bob'"

# ---- Google ----
# opaque access tokens: the session rests on the ID token (session_token =
# id: there is no access token audience to name); the username is the email, mapped by the Workspace domain; hd is
# the domain Google vouches for (groups_claim = hd: a string claim, so
# allowed_groups = the domain admits only that Workspace's accounts)
qconf google <<CONF
[issuer google]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
session_token = id
username_claim = email
username_strip_domains = corp.example
groups_claim = hd
allowed_groups = corp.example
CONF
quirk google
four google
tok=$(qstore google 5001 access_token)
check "google: the session rests on the ID token (aud = client_id, email and hd, no preferred_username)" \
	"part '$tok' 1 | grep -q '\"aud\": \"linux-hosts\"' && part '$tok' 1 | grep -q '\"hd\": \"corp.example\"' && ! part '$tok' 1 | grep -q preferred_username"
check "google: the device authorization answered verification_url (no verification_uri): the address was shown" \
	"grep -q '^prompt: To log in, open http://127.0.0.1:[0-9]*/device and enter the code' '$T/dev-google'"
check "google: the refresh answer had no refresh_token (Google does not rotate): the stored one is kept" \
	"[ -n \"\$(qstore google 5001 refresh_token)\" ]"

# ---- Okta, org authorization server ----
# its access token's aud is the org URL (for Okta's own APIs): never a
# session here; the session rests on the ID token for our client_id
# (session_token = id)
qconf oktaorg <<CONF
[issuer okta]
issuer = $PURL
allow_http_loopback = yes
client_id = linux-hosts
client_secret_file = $T/secret
session_token = id
username_strip_domains = corp.example
allowed_groups = devs
CONF
quirk okta-org
four oktaorg
check "okta-org: the org server's access token (aud = the org URL) is never the session: the ID token is" \
	"part \"\$(qstore oktaorg 5001 access_token)\" 1 | grep -q '\"aud\": \"linux-hosts\"' && logged 'event=auth result=allow reason=ok service=q_oktaorg user=alice .*session_token=id'"
orgat=$(curl -s -u linux-hosts:linux-hosts-secret -d grant_type=password -d username=alice \
	-d password=alice-password -d scope=openid "$UP/token" | python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
r=$(pam q_oktaorg alice authenticate "$orgat")
check "okta-org: its access token typed at the token prompt: refused" \
	"! succeeded && logged 'event=auth result=deny reason=bad_\\(audience\\|type\\) service=q_oktaorg user=alice .*method=token'"

quirk none
stop_all
trap - EXIT
suite_end
