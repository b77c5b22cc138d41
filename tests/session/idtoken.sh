#!/bin/sh
# Sessions from ID tokens (session_token = auto, the default) against the
# real oidc-provider set up the way a new user sets it up: the minimal scope
# openid and no API (resource) for the hosts, so the access token is opaque
# (for its userinfo endpoint) and only the ID token of the same response
# names the person (tests/idp/server.js /test/resource?none=1). A password
# login, a device login, a refresh, an outage with grace, and what must
# still be refused: an ID token's person not authorized here, and
# session_token = access, which never rests a session on an ID token.
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
cat >> "$T/tg.conf" <<CONF

[service idt_admins]
methods = password
allowed_groups = admins
CONF
service idt_admins
sed 's/^circuit_failures = 50$/circuit_failures = 50\nsession_token = access/' "$T/tg.conf" > "$T/access.conf"
chmod 600 "$T/access.conf"
sed "s|config=$T/tg.conf|config=$T/access.conf|" "$T/svc/tg" > "$T/svc/tg_access"
kind() { store 5001 kind; }
curl -s -X POST "$UP/test/resource?none=1" >/dev/null

# ---- a password login ----
reset
r=$(pam tg alice authenticate alice-password)
check "password login, scope openid only (opaque access token): allowed, the session rests on the ID token" \
	"succeeded && [ \"\$(kind)\" = id ] && logged 'event=auth result=allow reason=ok service=tg user=alice .*method=password.*session_token=id'"
idt=$(store 5001 access_token)
check "  what is stored is the ID token: a JWT for our client_id (aud linux-hosts), typ JWT" \
	"printf '%s' '$idt' | cut -d. -f2 | python3 -c \"import sys,base64,json; s=sys.stdin.read().strip(); d=json.loads(base64.urlsafe_b64decode(s+'='*(-len(s)%4))); sys.exit(0 if d['aud']=='linux-hosts' and d['sub']=='alice' else 1)\""
r=$(pam tg alice acct_mgmt)
check "  the account stage holds it to the ID token rules, without a request" \
	"succeeded && [ \"\$(count grant:refresh_token)\" = 0 ] && logged 'event=account result=allow reason=ok service=tg user=alice .*step=stored.*session_token=id'"

# ---- a refresh: a new ID token, validated, the rotated refresh token kept ----
rt1=$(store 5001 refresh_token)
reset
r=$(pam tg_due alice acct_mgmt)
check "refresh (due): one refresh grant, a new ID token stored, the rotated refresh token kept" \
	"succeeded && [ \"\$(count grant:refresh_token)\" = 1 ] && [ \"\$(store 5001 access_token)\" != '$idt' ] && [ \"\$(store 5001 refresh_token)\" != '$rt1' ] && [ \"\$(kind)\" = id ]"
r=$(pam tg_due alice acct_mgmt)
check "  and again (the new refresh token works: no reuse detected, no grant error)" \
	"succeeded && [ \"\$(count grant:refresh_token)\" = 2 ] && [ \"\$(errors)\" = 0 ]"

# ---- an outage: grace on the ID-token session ----
mode reset
r=$(pam tg_plus2h alice acct_mgmt)
check "provider down 2h later (ID token expired): grace on the stored claims" \
	"succeeded && logged 'event=account result=allow reason=ok service=tg_plus2h user=alice .*step=grace'"
r=$(pam tg_plus13h alice acct_mgmt)
check "  and refused once offline_grace (12h) has passed" \
	"! succeeded && logged 'event=account result=deny reason=grace_expired service=tg_plus13h user=alice'"
mode pass

# ---- what must still be refused ----
r=$(pam idt_admins alice authenticate alice-password)
check "an ID token whose person is not in allowed_groups: refused (not_authorized), as an access token would be" \
	"! succeeded && logged 'event=auth result=deny reason=not_authorized service=idt_admins user=alice'"
r=$(pam idt_admins bob authenticate bob-password)
check "  bob (admins) at the same service: allowed on his ID token" \
	"succeeded && logged 'event=auth result=allow reason=ok service=idt_admins user=bob .*session_token=id'"
r=$(pam tg_access alice authenticate alice-password)
check "session_token = access: the opaque access token is refused (malformed), the ID token never used" \
	"! succeeded && logged 'event=auth result=deny reason=malformed service=tg_access user=alice .*method=password'"

# ---- a device login ----
device_person
ctl revoke alice > "$T/revoke.out" 2>&1 || true
PAMSEQ_HOOK="$T/person.sh" seq_run tg_dev alice "" > "$T/dev.out" 2>&1 && seq=0 || seq=$?
r=$(cat "$T/dev.out")
check "device login, scope openid only: approved, auth -> account -> session on the ID token" \
	"[ $seq = 0 ] && [ \"\$(kind)\" = id ] && [ \"\$(store 5001 method)\" = device ] && logged 'event=auth result=allow reason=ok service=tg_dev user=alice .*method=device.*session_token=id'"

# ---- and with an API for the hosts again, the access token is the session ----
curl -s -X POST "$UP/test/resource?none=0" >/dev/null
r=$(pam tg alice authenticate alice-password)
check "with the hosts resource granted again: the session rests on the JWT access token (auto prefers it)" \
	"succeeded && [ -z \"\$(kind)\" ] && logged 'event=auth result=allow reason=ok service=tg user=alice .*method=password.*session_token=access'"

stop_all
trap - EXIT
[ -z "${TG_SHOWLOG:-}" ] || cat "$T/audit.log"
suite_end
