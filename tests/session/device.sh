#!/bin/sh
# Interactive logins against a real OpenID provider: the device method
# (RFC 8628) through the real libpam (pam_wrapper + libpamtest), the person
# approving at the provider while the login waits (tests/idp/server.js
# /test/device/*), method order, non-interactive callers, and an outage.
# Bounded: each login ends by device_timeout (4 s or 30 s here).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
devconf() { curl -s -X POST "$UP/test/device/config?interval=${1:-0}&slow_down=${2:-0}" >/dev/null; }
# What the person does at the verification page: approve (or deny) the
# code shown in the prompt, after DELAY seconds, in the background.
device_person
# login NAME SERVICE ANSWER [ACTION [DELAY]]: one auth -> session sequence,
# the person doing ACTION (approve, deny) at the prompt after DELAY seconds;
# output in $T/NAME and $r, status in $seq, duration in $ms
login() {
	_out=$T/$1 _svc=$2 _ans=$3
	if [ $# -ge 4 ]; then
		export PAMSEQ_HOOK="$T/person.sh" ACTION="$4" DELAY="${5:-0}"
	fi
	_t0=$(now_ms)
	seq_run "$_svc" alice "$_ans" > "$_out" 2>&1 && seq=0 || seq=$?
	ms=$(($(now_ms) - _t0))
	unset PAMSEQ_HOOK ACTION DELAY
	r=$(cat "$_out")
}
DG=grant:urn:ietf:params:oauth:grant-type:device_code
PENDING=grant_error:urn:ietf:params:oauth:grant-type:device_code:authorization_pending

# ---- device first: approved while the prompt waits, then Enter ----
reset
login d1 tg_dev "" approve
echo "  device login (approved, then Enter): $ms ms"
check "device login (methods = device, token): approved at the provider, auth -> account -> session succeed" \
	"[ $seq = 0 ] && grep -q '^prompt: To log in, open this address' '$T/d1'"
check "  the prompt has the address with the code, the code alone, a QR code, and the typed alternative" \
	"grep -q 'user_code=' '$T/d1' && grep -q 'enter the code [A-Z]' '$T/d1' && grep -q '█' '$T/d1' && grep -q 'Press Enter when you have approved it (or type your token instead): ' '$T/d1'"
check "  one device authorization, one device_code grant, polled once" \
	"[ \"\$(count /device/auth)\" = 1 ] && [ \"\$(count $DG)\" = 1 ] && [ \"\$(count $PENDING)\" = 0 ]"
check "  the session is stored like any other (method device, refresh token), audited step=device" \
	"[ \"\$(store 5001 method)\" = device ] && [ -n \"\$(store 5001 refresh_token)\" ] && logged 'event=auth result=allow reason=ok service=tg_dev user=alice .*method=device.*step=device'"
check "  account and session stages ran from that session" \
	"logged 'event=account result=allow reason=ok service=tg_dev user=alice' && grep -q '^env: TOKENGATE_SESSION=' '$T/d1'"

# ---- a token typed at the device prompt instead ----
tok=$(store 5001 access_token)
reset
login d2 tg_dev "$tok"
check "a token typed at the device prompt logs in by the token method (no device grant)" \
	"[ $seq = 0 ] && [ \"\$(count $DG)\" = 0 ] && logged 'event=auth result=allow reason=ok service=tg_dev user=alice .*method=token'"

# ---- token first; Enter alone asks for the device login ----
reset
login d3 tg_devlate "" approve
check "methods = token, device: Enter alone at 'Token (Enter for a browser login)' starts the device login" \
	"[ $seq = 0 ] && grep -q '^prompt: Token (Enter for a browser login): ' '$T/d3' && [ \"\$(count $DG)\" = 1 ] && logged 'service=tg_devlate user=alice .*method=device'"

# ---- denied at the provider ----
reset
login d4 tg_dev "" deny
check "denied at the provider (access_denied): PAM_PERM_DENIED, told why, audited not_authorized" \
	"[ $seq != 0 ] && grep -q 'authenticate returned 6 ' '$T/d4' && grep -q '^msg: The login was denied at the identity provider.' '$T/d4' && logged 'event=auth result=deny reason=not_authorized service=tg_dev user=alice .*method=device'"

# ---- approved by another account ----
reset
export APPROVER=bob
login d4b tg_dev "" approve
unset APPROVER
check "approved at the provider by another account (bob) for alice's login: refused, user_mismatch, no session for bob's tokens" \
	"[ $seq != 0 ] && grep -q 'authenticate returned 7 ' '$T/d4b' && [ \"\$(count $DG)\" = 1 ] && logged 'event=auth result=deny reason=user_mismatch service=tg_dev user=alice .*method=device' && [ \"\$(store 5001 sub)\" != bob ]"

# ---- approved later: authorization_pending, polled at the interval ----
reset
devconf 1
login d5 tg_dev "" approve 2
echo "  device login approved 2 s after Enter (interval 1 s): $ms ms, $(count $PENDING) pending polls"
check "approved 2 s after Enter: authorization_pending polls at the provider's interval, then success" \
	"[ $seq = 0 ] && [ \"\$(count $PENDING)\" -ge 1 ] && [ \"\$(count $PENDING)\" -le 4 ] && [ \"\$(count $DG)\" = 1 ] && grep -q '^msg: Waiting for the approval (at most ' '$T/d5'"

# ---- a poll longer than the module's timeout= (2 s here) ----
reset
devconf 1
login d5t tg_dev_t2 "" approve 4
check "polling outlasts the module's timeout=2: the helper announces its wait, the login succeeds after ~4 s" \
	"[ $seq = 0 ] && [ $ms -ge 3500 ] && [ \"\$(count $DG)\" = 1 ] && ! grep -a -q 'helper_timeout' '$T/audit.log'"
devconf 0

# ---- slow_down adds 5 s to the interval ----
reset
devconf 1 1
login d6 tg_dev "" approve
echo "  device login after one slow_down (interval 1 s -> 6 s): $ms ms"
check "slow_down: the next poll waits interval + 5 s (6 s here), then success" \
	"[ $seq = 0 ] && [ \"\$(count device:slow_down)\" = 1 ] && [ \"\$(count $DG)\" = 1 ] && [ $ms -ge 6000 ] && [ $ms -lt 9000 ]"

# ---- nobody approves: device_timeout ----
reset
devconf 1
login d7 tg_devshort ""
echo "  unapproved device login with device_timeout 4s: $ms ms"
check "not approved: the login ends at device_timeout (4 s) with a message, PAM_AUTH_ERR" \
	"[ $seq != 0 ] && [ $ms -lt 6500 ] && grep -q 'authenticate returned 7 ' '$T/d7' && grep -q '^msg: The login was not approved within 4s; try again.' '$T/d7' && logged 'event=auth result=deny reason=no_credentials service=tg_devshort user=alice .*method=device'"
devconf 0

# ---- the typed prompt used the whole device_timeout: no device login ----
reset
export PAMSEQ_HOOK="sleep 1.5"
login d7b tg_devlate_1s ""
check "Enter after device_timeout (1 s) had passed at the token prompt: refused at once, no device authorization" \
	"[ $seq != 0 ] && grep -q '^msg: Too late for a browser login now; try again.' '$T/d7b' && [ \"\$(count /device/auth)\" = 0 ] && logged 'event=auth result=deny reason=no_credentials service=tg_devlate_1s user=alice .*method=device'"

# ---- no person: never prompt, never poll; the store decides ----
reset
login d8 tg_devcron ""
check "noninteractive (as cron): no prompt, no device authorization, no credential -> refused" \
	"[ $seq != 0 ] && ! grep -q '^prompt:' '$T/d8' && [ \"\$(count /device/auth)\" = 0 ]"
r=$(pam tg_devcron alice acct_mgmt)
check "  the account stage decides from the stored session alone" \
	"succeeded && logged 'event=account result=allow reason=ok service=tg_devcron user=alice .*step=stored'"

# ---- provider down: the device method cannot start, the token still works ----
reset
mode reset
login d9 tg_dev "$tok"
mode pass
check "provider down: device login cannot start (audited), the token prompt follows and the token logs in offline" \
	"grep -q '^prompt: Token: ' '$T/d9' && logged 'event=device result=error reason=idp_unreachable service=tg_dev' && logged 'event=auth result=allow reason=ok service=tg_dev user=alice .*method=token'"

# ---- providers as they are (docs/ADMIN.md section 7) ----
# oidc-provider with the minimal scope openid: the person grants OIDC
# scopes only, and the provider's own refresh_token and device_code grants
# answer "scope": "" (its access token for urn:linux-hosts has no scope).
# No rewriting: this is the provider's own answer.
curl -s -X POST "$UP/test/scopes?resource=0" >/dev/null
bobrt=$(curl -s -u linux-hosts:linux-hosts-secret -d grant_type=password -d username=bob \
	-d password=bob-password -d scope=openid "$UP/token" |
	python3 -c "import json,sys; print(json.load(sys.stdin)['refresh_token'])")
scope=$(curl -s -u linux-hosts:linux-hosts-secret -d grant_type=refresh_token \
	--data-urlencode "refresh_token=$bobrt" "$UP/token" |
	python3 -c "import json,sys; print(repr(json.load(sys.stdin).get('scope')))")
r="refresh answer scope: $scope"
check "scope openid only: oidc-provider's refresh answer itself carries \"scope\": \"\"" "[ \"$scope\" = \"''\" ]"
reset
r=$(pam tg alice authenticate alice-password)
check "  a password login succeeds" "succeeded && logged 'event=auth result=allow reason=ok service=tg user=alice .*method=password'"
login s1 tg_dev "" approve
check "  a device login succeeds (the device_code grant's \"scope\": \"\")" \
	"[ $seq = 0 ] && [ \"\$(count $DG)\" = 1 ] && [ \"\$(store 5001 method)\" = device ]"
rt0=$(store 5001 refresh_token)
r=$(pam tg_due alice acct_mgmt)
rt1=$(store 5001 refresh_token)
r2=$(pam tg_due alice acct_mgmt)
rt2=$(store 5001 refresh_token)
check "  two consecutive refreshes succeed, each rotating the refresh token" \
	"succeeded && echo '$r2' | grep -q 'management done' && [ \"\$(count grant:refresh_token)\" = 2 ] && [ '$rt0' != '$rt1' ] && [ '$rt1' != '$rt2' ]"
check "  the provider never saw a reused refresh token, and nothing was refused as malformed" \
	"[ \"\$(errors)\" = 0 ] && ! logged 'reason=malformed'"
curl -s -X POST "$UP/test/scopes?resource=1" >/dev/null

# Variations the provider here does not produce, rewritten by the proxy.
# Google's device authorization answers verification_url and no
# verification_uri_complete (developers.google.com/identity/protocols/oauth2/limited-input-device).
reset
mode google
login s2 tg_dev "" approve
mode pass
check "Google's verification_url (device authorization): the device login succeeds, the address is shown" \
	"[ $seq = 0 ] && [ \"\$(count $DG)\" = 1 ] && grep -q '^prompt: To log in, open http://127.0.0.1:[0-9]*/device and enter the code' '$T/s2'"
# Entra ID's v1 endpoint: expires_in, interval as numeric strings,
# ext_expires_in, and a message member in the device authorization.
reset
mode entra1
login s3 tg_dev "" approve
r=$(pam tg_due alice acct_mgmt)
mode pass
check "Entra ID v1 style (numeric strings, message): a device login and a refresh succeed" \
	"[ $seq = 0 ] && succeeded && [ \"\$(count grant:refresh_token)\" = 1 ] && [ \"\$(errors)\" = 0 ]"
# token_type "bearer" (older Keycloak releases; RFC 6749 5.1 says
# case-insensitive)
reset
mode lowerbearer
r=$(pam tg alice authenticate alice-password)
r2=$(pam tg_due alice acct_mgmt)
mode pass
check "token_type bearer in lower case: a password login and a refresh succeed" \
	"succeeded && echo '$r2' | grep -q 'management done' && [ \"\$(count grant:refresh_token)\" = 1 ]"

# A refresh the provider answered (and so rotated) with a response that
# is refused here (token_type mac): the new refresh token is kept, so the
# next refresh does not trip the provider's reuse detection.
r=$(pam tg alice authenticate alice-password)
reset
rt0=$(store 5001 refresh_token)
mode mac
r=$(pam tg_due alice acct_mgmt)
mode pass
rt1=$(store 5001 refresh_token)
check "a refresh answered with token_type mac after the provider rotated: refused (malformed), the new refresh token stored" \
	"[ \"\$(count grant:refresh_token)\" = 1 ] && [ -n '$rt1' ] && [ '$rt0' != '$rt1' ] && logged 'event=refresh result=error reason=malformed'"
r=$(pam tg_due alice acct_mgmt)
check "  the next refresh sends the new one: it succeeds, no reuse detected, the session stays" \
	"succeeded && [ \"\$(count grant:refresh_token)\" = 2 ] && [ \"\$(errors)\" = 0 ] && [ -e '$T/store/5001' ]"

stop_all
trap - EXIT
suite_end
