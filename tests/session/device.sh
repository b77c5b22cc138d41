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
cat > "$T/person.sh" <<HOOK
#!/bin/sh
code=\$(printf '%s' "\$PAMSEQ_PROMPT" | sed -n 's/.*enter the code \([A-Z0-9-]*\)).*/\1/p')
[ -n "\$code" ] || exit 0
decide() { curl -s -X POST "$UP/test/device/\${ACTION:-approve}?user_code=\$code&user=\${APPROVER:-alice}" > "$T/person.out"; }
if [ "\${DELAY:-0}" = 0 ]; then decide; else ( sleep "\$DELAY"; decide ) & fi
HOOK
chmod +x "$T/person.sh"
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

stop_all
trap - EXIT
suite_end
