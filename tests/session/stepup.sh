#!/bin/sh
# Freshness and strength per service (max_auth_age, required_acr,
# required_amr) and the step-up: through the real libpam against the real
# provider, whose notion of the person's login the test sets
# (tests/idp/server.js /test/authn: how old the browser session behind a
# device approval is, its acr and amr, what a re-authentication gives, a
# provider that ignores max_age). Bounded: device logins end by
# device_timeout (20 s here); the person approves at once.
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
cat >> "$T/tg.conf" <<CONF

[service tg_ssh]
methods = device, token
leeway = 0s

[service tg_fsudo]
methods = token, device
max_auth_age = 10m
device_timeout = 20s

[service tg_fsudo_ni]
methods = token, device
max_auth_age = 10m
leeway = 0s

[service tg_fsudo_tok]
methods = token
max_auth_age = 10m

[service tg_fsudo_dev]
methods = device
max_auth_age = 10m
device_timeout = 20s

[service tg_mfa]
methods = device
required_amr = mfa
device_timeout = 20s

[service tg_shipped]
methods = token, device
max_auth_age = 10m
device_timeout = 4s

[service tg_devtok]
methods = device, token
max_auth_age = 10m
device_timeout = 3s

[service tg_acr]
methods = device
required_acr = strong
device_timeout = 20s
CONF
for s in tg_ssh tg_fsudo tg_fsudo_tok tg_fsudo_dev tg_mfa tg_acr; do service $s; done
service tg_fsudo_ni noninteractive
service tg_devtok
# the shipped conf/pam.d/sudo.example stack, common-account as pam_permit:
# an account PAM_IGNORE from tokengate would let the person in
m=$B/test/pam_tokengate.so
{
	printf 'auth sufficient %s config=%s\n' "$m" "$T/tg.conf"
	printf 'account [success=ok ignore=ignore default=bad] %s config=%s\n' "$m" "$T/tg.conf"
	printf 'account required pam_permit.so\n'
} > "$T/svc/tg_shipped"
device_person
# authn KEY=V...: the person's login at the provider from now on
authn() { _q=$(printf '%s&' "$@"); curl -s -X POST "$UP/test/authn?user=alice&$_q" >/dev/null; }
# run NAME SERVICE ANSWER: one transaction (PAMSEQ_NO_AUTH=1: from acct_mgmt),
# the person approving any device login at once; output in $T/NAME
run() {
	export PAMSEQ_HOOK="$T/person.sh"
	seq_run "$2" alice "$3" > "$T/$1" 2>&1 && seq=0 || seq=$?
	unset PAMSEQ_HOOK
	r=$(cat "$T/$1")
}
# the stored session's auth_time, seconds ago
age_of_login() { python3 -c "import json,time; d=json.load(open('$T/store/5001')); print(int(time.time()) - d['claims']['auth_time'])"; }
DA=/device/auth

# ---- a login behind the session from an hour ago ----
authn age=3600 acr=basic amr=pwd stepup_amr=pwd,otp,mfa
reset
run s1 tg_ssh ""
old=$(store 5001 access_token)
check "ssh (no max_auth_age): the device approval rests on the provider login of an hour ago, and logs in" \
	"[ $seq = 0 ] && [ \"\$(count device:reauth)\" = 0 ] && [ \"\$(age_of_login)\" -ge 3590 ]"

# ---- sudo inside its timestamp (account only), nobody to answer ----
r=$(pam tg_fsudo_ni alice acct_mgmt)
check "sudo with max_auth_age = 10m, account only, non-interactive: refused, the reason says how old the login is" \
	"! succeeded && logged 'event=account result=deny reason=not_authorized service=tg_fsudo_ni user=alice.*detail=\"a fresh or stronger login is needed: the login at the provider (auth_time) is 3[0-9]*s old, at most 600s (leeway 0s)\"'"
check "  the person is told what is missing (not 'not authorized on this host')" \
	"grep -q 'this service needs a fresh or stronger login at your identity provider' '$T/out'"

# ---- the same with a person: the step-up ----
reset
PAMSEQ_NO_AUTH=1 run s2 tg_fsudo ""
check "account with a person at the prompt: a step-up device login, the provider asked max_age=600 re-authenticates, allowed" \
	"[ $seq = 0 ] && grep -q '^msg: This service needs a fresh login at your identity provider' '$T/s2' && [ \"\$(count $DA)\" = 1 ] && [ \"\$(count device:reauth)\" = 1 ]"
check "  audited: the refusal, then the step-up's decision (step_up=yes), and the session rests on the fresh login" \
	"logged 'event=account result=deny reason=not_authorized service=tg_fsudo user=alice' && logged 'event=account result=allow reason=ok service=tg_fsudo user=alice .*method=device.*step_up=yes' && [ \"\$(age_of_login)\" -le 30 ]"
r=$(pam tg_fsudo_ni alice acct_mgmt)
check "  the next sudo (account only, non-interactive) is allowed from that fresh session" "succeeded"

# ---- a typed token from the old login ----
reset
run s3 tg_fsudo "$old"
check "sudo, the token of the hour-old login typed: refused for freshness, then a step-up device login, allowed" \
	"[ $seq = 0 ] && logged 'event=auth result=deny reason=not_authorized service=tg_fsudo user=alice .*method=token.*fresh or stronger login is needed' && logged 'event=auth result=allow reason=ok service=tg_fsudo user=alice .*method=device.*step_up=yes' && [ \"\$(count $DA)\" = 1 ]"
reset
r=$(pam tg_fsudo_tok alice authenticate "$old")
check "  a token-only service: refused with the reason, no device login started" \
	"! succeeded && grep -q 'needs a fresh or stronger login' '$T/out' && [ \"\$(count $DA)\" = 0 ]"

# ---- a step-up nobody approves (abuse: the shipped stack lets in on ignore) ----
authn age=3600 amr=pwd
run s1b tg_ssh ""
r=$(pam tg_shipped alice acct_mgmt "")
check "shipped sudo stack, account only, the step-up not approved (Enter, then device_timeout): denied" \
	"! succeeded && logged 'event=account result=deny reason=no_credentials service=tg_shipped user=alice .*step_up=yes'"
printf '' | wrapped pamtester -v tg_shipped alice acct_mgmt > "$T/out" 2>&1 || true
r=$(tail -1 "$T/out")
check "  the prompt answered by EOF (no person): denied" "! succeeded"
export APPROVER=bob
PAMSEQ_NO_AUTH=1 run s2b tg_shipped ""
unset APPROVER
check "  the step-up approved by bob for alice's session: denied (user_mismatch), alice's session kept" \
	"[ $seq != 0 ] && logged 'event=account result=deny reason=user_mismatch service=tg_shipped user=alice' && [ \"\$(store 5001 sub)\" = alice ]"
reset
r=$(pam tg_devtok alice authenticate "$old")
check "  device first, the old token typed at the device prompt: refused, the provider is not blamed" \
	"! succeeded && grep -q 'needs a fresh login at your identity provider' '$T/out' && ! grep -q 'the identity provider did not give' '$T/out'"

# ---- a provider that ignores max_age ----
authn age=3600 amr=pwd ignore_max_age=1
run s4 tg_ssh ""
reset
PAMSEQ_NO_AUTH=1 run s5 tg_fsudo ""
check "provider ignoring max_age: the step-up's new token still carries the old auth_time: refused, once" \
	"[ $seq != 0 ] && [ \"\$(count $DA)\" = 1 ] && [ \"\$(count device:reauth)\" = 0 ] && logged 'event=account result=deny reason=not_authorized service=tg_fsudo user=alice .*method=device.*step_up=yes.*auth_time) is 3[0-9]*s old'"
check "  the person is told the provider did not give the fresh login" \
	"grep -q 'the identity provider did not give the fresh or stronger login this service needs' '$T/s5'"
reset
run s6 tg_fsudo_dev ""
check "  a device login at such a service asks max_age at once and is refused without a second approval" \
	"[ $seq != 0 ] && [ \"\$(count $DA)\" = 1 ] && ! grep -q 'This service needs a fresh login' '$T/s6'"

# ---- required_amr ----
authn amr=pwd
reset
run s7 tg_mfa ""
check "required_amr = mfa, the login's amr is [pwd]: refused, amr named, no step-up (no request parameter asks for an amr)" \
	"[ $seq != 0 ] && [ \"\$(count $DA)\" = 1 ] && logged 'event=auth result=deny reason=not_authorized service=tg_mfa user=alice .*amr must contain one of required_amr'"
authn amr=pwd,otp,mfa
run s8 tg_mfa ""
check "  the same with amr [pwd, otp, mfa]: allowed" "[ $seq = 0 ]"

# ---- required_acr, stepped up ----
authn acr=basic amr=pwd stepup_acr=strong
run s9 tg_ssh ""
reset
PAMSEQ_NO_AUTH=1 run s10 tg_acr ""
check "required_acr = strong on a session with acr basic: step-up with acr_values=strong, the provider re-authenticates, allowed" \
	"[ $seq = 0 ] && [ \"\$(count device:reauth)\" = 1 ] && logged 'event=account result=allow reason=ok service=tg_acr user=alice .*step_up=yes' && [ \"\$(python3 -c \"import json; print(json.load(open('$T/store/5001'))['claims'].get('acr'))\")\" = strong ]"

# ---- grace is never fresh ----
authn age=0 amr=pwd
ttl 2
run s11 tg_ssh ""
ttl 600
sleep 3
mode reset
r=$(pam tg_fsudo_ni alice acct_mgmt)
check "provider down, a 2 s token from a login seconds ago: sudo (max_auth_age) refused, grace never counts as a fresh login" \
	"! succeeded && logged 'event=account result=deny reason=not_authorized service=tg_fsudo_ni user=alice.*an offline step never is one'"
r=$(pam tg_ssh alice acct_mgmt)
check "  the same session at a service without max_auth_age: let in by grace" \
	"succeeded && logged 'event=account result=allow reason=ok service=tg_ssh user=alice .*step=grace'"
mode pass

# ---- the audit trail of one login, put together again ----
settle
L=$(grep -a 'event=account result=allow reason=ok service=tg_fsudo user=alice .*step_up=yes' "$T/audit.log" | head -1 | sed -n 's/.* session=\([0-9a-f-]*\) .*/\1/p')
"$B/tokengatectl" audit alice --file "$T/audit.log" --json > "$T/trail.json" 2> "$T/trail.err" || true
"$B/tokengatectl" audit alice --file "$T/audit.log" > "$T/trail.txt" 2>&1 || true
r=$(head -c 300 "$T/trail.json")
check "tokengatectl audit alice: the sudo step-up login ($L) from its refusal to its session close, in order, one session id" \
	"[ -n '$L' ] && python3 - '$T/trail.json' '$L' <<'PY'
import json, sys
recs, L = json.load(open(sys.argv[1])), sys.argv[2]
mine = [(r['event'], r['result'], r.get('step_up', '-')) for r in recs if r.get('session') == L and r['event'] in ('auth', 'account', 'session_open', 'session_close')]
assert mine == [('account', 'deny', '-'), ('account', 'allow', 'yes'), ('session_open', 'allow', '-'), ('session_close', 'allow', '-')], mine
# later logins on that session lead back to it: another session, login = L
assert any(r.get('login') == L and r.get('session') != L and r['service'] == 'tg_fsudo_ni' for r in recs)
assert all(r['user'] == 'alice' for r in recs)
PY"
check "  its text form groups them under the login, marked step-up" \
	"grep -q \"^login \$(echo $L | cut -c1-8) .*device via tg_fsudo (step-up)\" '$T/trail.txt'"

stop_all
trap - EXIT
suite_end
