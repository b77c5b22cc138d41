#!/bin/sh
# Security: degraded paths are never more permissive than the online path
# (DESIGN sections 2, 3, 5-8). A real OpenID provider (oidc-provider behind
# the fault proxy, on 127.0.0.1), the real libpam (pam_wrapper) driven by
# tests/security/pamdrive, which sets what an attacker sets before running
# a setuid program (resource limits, ignored and blocked signals, the PAM
# environment), and the audit records caught on the suite's private
# /dev/log. Every case is bounded: fixed attempts, short timeouts, outages
# that fail fast (connection reset).
. "$(cd "$(dirname "$0")" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"

# ---- sessions to start from: alice, as1..as8 (devs) and bob (admins),
# tokens that expire 2 s later (the refresh and grace paths are what is
# tested) ----
ttl 2
r=""
for u in alice as1 as2 as3 as4 as5 as6 as7 as8 bob; do
	r="$r
$(login sec $u $u-password auth)"
done
ttl 600
verify "setup: alice, as1..as8 (devs) and bob (admins) log in online with their passwords" \
	"[ \"\$(ncode PAM_SUCCESS)\" = 10 ] && [ -n \"\$(store 5001 verifier)\" ] && [ -n \"\$(store 5002 refresh_token)\" ]"
# those tokens are 2 s old in section a: it runs at the test build's clock
# 3 s on (sec_admins_later: clock=+3), not after a sleep

# ---- a. the caller's limits and signals while the provider is up ----
echo "  -- a. caller limits and signals (provider up)"
# RLIMIT_AS 16M: measured on this code base, a helper that keeps the
# caller's limits fails to dlopen libcurl at <= 18M (and works at 20M);
# NOFILE 9: the fewest with which the application can still start the
# helper (its own descriptors 0-5, 10, 251 under the wrappers); FSIZE 1
# byte, with SIGXFSZ at its default (a kill) and ignored (EFBIG). Soft
# and hard limits (a helper that cannot raise them again must stop: root
# here has no CAP_SYS_RESOURCE), and soft limits alone (it can). One user
# per condition (as1..as8), each with an expired token, a refresh token
# and a verifier.
for cond in "as1|AS 16M|--rlimit AS=16M" "as7|AS 16M soft (hard kept)|--rlimit AS=16M:keep" \
	"as2|NOFILE 9|--rlimit NOFILE=9" "as8|NOFILE 9 soft (hard kept)|--rlimit NOFILE=9:keep" \
	"as3|FSIZE 1|--rlimit FSIZE=1" "as4|FSIZE 1 + SIGXFSZ ignored|--rlimit FSIZE=1 --ignore XFSZ" \
	"as5|SIGCHLD ignored|--ignore CHLD" "as6|all signals ignored+blocked|--ignore all --block all"; do
	u=${cond%%|*} cond=${cond#*|}
	label=${cond%%|*} args=${cond#*|}
	mark
	r=""
	i=0
	while [ $i -lt 5 ]; do
		# shellcheck disable=SC2086
		r="$r
$(drive --service sec_admins_later --user $u $args acct)
$(drive --service sec_admins_later --user $u --answer $u-password $args auth)"
		i=$((i + 1))
	done
	verify "a. $label: $u (devs) x5 account + x5 password at the admins-only service: never PAM_SUCCESS" \
		"no_success && [ \"\$(printf '%s\n' \"\$r\" | grep -c '^\(auth\|acct\)=')\" = 10 ]"
	verify "   $label: no grace (no event=grace, no step=grace)" \
		"! seen 'event=grace' && ! seen 'step=grace'"
	c=$(circuit)
	verify "   $label: the circuit stays closed (no event=circuit; status: $c)" \
		"! seen 'event=circuit' && [ '$c' = 'closed 0' ]"
	back
done
# bob is authorized: under the limit that breaks libcurl his expired
# token is renewed online, or the login fails as internal; never grace
mark
r=$(drive --service sec_admins_later --user bob --rlimit AS=16M:keep acct)
c=$(circuit)
verify "a. AS 16M soft, bob (admins), expired token: renewed online (step=refresh) or reason=internal; no grace, circuit closed" \
	"! seen 'step=grace' && ! seen 'event=grace' && [ '$c' = 'closed 0' ] && { { [ \"\$(code acct)\" = PAM_SUCCESS ] && seen 'event=account result=allow .*user=bob.*step=refresh'; } || { [ \"\$(code acct)\" = PAM_AUTHINFO_UNAVAIL ] && seen 'reason=internal'; }; }"
back
mark
r=$(drive --service sec_admins_later --user bob --rlimit AS=16M acct)
c=$(circuit)
verify "a. AS 16M soft+hard, bob: the same (renewed online, or internal); no grace, circuit closed" \
	"! seen 'step=grace' && ! seen 'event=grace' && [ '$c' = 'closed 0' ] && { [ \"\$(code acct)\" = PAM_SUCCESS ] || { [ \"\$(code acct)\" = PAM_AUTHINFO_UNAVAIL ] && seen 'reason=internal'; }; }"
back
mark
r=$(login sec_admins bob bob-password auth)
verify "a. afterwards an authorized login (bob, admins) is decided online: PAM_SUCCESS, step=password, no grace" \
	"[ \"\$(code auth)\" = PAM_SUCCESS ] && seen 'event=auth result=allow .*user=bob.*step=password' && ! seen 'step=grace'"

# ---- a3. the helper owns its process (DESIGN section 2) ----
echo "  -- the helper's process state"
# soft limits only: the helper can (and must) set its own
mark
r=$(login sec alice alice-password --probe --rlimit NOFILE=64:keep --rlimit FSIZE=1M:keep \
	--rlimit CORE=unlimited:keep --rlimit CPU=100:keep --rlimit STACK=256K:keep --umask 000 --chdir /tmp auth)
h=$(printf '%s\n' "$r" | grep '^helper:' | head -1)
hpid=$(echo "$h" | sed -n 's/.* pid=\([0-9]*\).*/\1/p')
verify "helper under the caller's soft limits, umask 000, cwd /tmp: still logs in (PAM_SUCCESS)" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
verify "  its own session (setsid: session id = its pid)" "[ -n '$hpid' ] && echo '$h' | grep -q ' session=$hpid '"
verify "  umask 077 (the caller's was 000)" "echo '$h' | grep -q ' umask=0077 '"
verify "  cwd / (the caller's was /tmp)" "echo '$h' | grep -q ' cwd=/ '"
verify "  its own limits: not the caller's NOFILE 64, FSIZE 1M, CPU 100, STACK 256K; CORE 0" \
	"! echo '$h' | grep -q -e ' NOFILE=64:' -e ' FSIZE=1048576:' -e ' CPU=100:' -e ' STACK=262144:' && echo '$h' | grep -q ' CORE=0:0'"
mark
r=$(login sec alice alice-password --probe --rlimit NOFILE=64 --rlimit CPU=100 auth)
h=$(printf '%s\n' "$r" | grep '^helper:' | head -1)
verify "hard limits lowered by the caller: the helper runs with its own limits, or stops (PAM_AUTHINFO_UNAVAIL, internal)" \
	"{ [ \"\$(code auth)\" = PAM_SUCCESS ] && [ -n '$h' ] && ! echo '$h' | grep -q -e ' NOFILE=64:' -e ' CPU=100:'; } || { [ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ] && [ -z '$h' ] && seen 'reason=internal'; }"
# the caller's CPU choices: an idle policy, nice 19, one CPU (a busy one
# would make a live provider time out)
mark
r=$(login sec alice alice-password --probe --idle --nice 19 --cpu 0 auth)
h=$(printf '%s\n' "$r" | grep '^helper:' | head -1)
verify "helper under SCHED_IDLE, nice 19, pinned to CPU 0: still logs in (PAM_SUCCESS)" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
verify "  its own scheduling: SCHED_OTHER, nice 0, every CPU of its cpuset ($(nproc) here)" \
	"echo '$h' | grep -q ' nice=0 policy=0 ' && { [ $(nproc) = 1 ] || ! echo '$h' | grep -q ' cpus=0 '; }"
mark
r=$(login sec alice alice-password --probe --ignore all --block all auth)
h=$(printf '%s\n' "$r" | grep '^helper:' | head -1)
verify "helper under all signals ignored + blocked: still logs in (PAM_SUCCESS)" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
verify "  only SIGPIPE ignored (SigIgn 0x1000), nothing blocked" \
	"echo '$h' | grep -q ' sigblk=0000000000000000 ' && echo '$h' | grep -q ' sigign=0000000000001000 '"
case "$h" in *" sigblk=0000000000000000 sigign=0000000000001000 "*) ;; *) echo "       probe: $r" | tr '\n' ' '; echo ;; esac
r=$(drive --service sec_exit1 --user alice --ignore CHLD auth sigchld)
verify "SIGCHLD ignored by the application: a helper that says success and exits 1 is not believed (PAM_AUTHINFO_UNAVAIL)" \
	"[ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ]"
verify "  and the application's SIGCHLD disposition is given back (still SIG_IGN)" "[ \"\$(code sigchld)\" = SIG_IGN ]"
r=$(drive --service sec_liar --user alice --ignore CHLD auth)
verify "SIGCHLD ignored: a lying helper (result code 9999) is PAM_AUTHINFO_UNAVAIL" "[ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ]"
r=$(drive --service sec_exit1 --user alice auth)
verify "SIGCHLD default: the same helper is PAM_AUTHINFO_UNAVAIL" "[ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ]"

# ---- b. sudo-like service, alice has a session from another service,
# the provider really down ----
echo "  -- b. admins-only service during an outage"
r=$(login sec alice alice-password auth)
verify "b. setup: alice logs in online at another service (fresh session, verifier)" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
outage
mark
r=$(login sec_admins alice alice-password auth)
verify "b. provider down: alice's password at the admins-only service is refused, reason=not_authorized, no grace" \
	"[ -n \"\$(code auth)\" ] && no_success && seen 'event=auth result=deny reason=not_authorized .*service=sec_admins user=alice' && ! seen 'step=grace' && ! seen 'event=grace'"
mark
r=$(drive --service sec_admins --user alice acct)
verify "b. provider down: alice's account check at the admins-only service (stored token valid): not_authorized" \
	"[ \"\$(code acct)\" = PAM_PERM_DENIED ] && seen 'reason=not_authorized' && ! seen 'step=grace'"
mark
r=$(drive --service sec_admins_plus30m --user alice acct)
verify "b. provider down, 30 min later (stored token expired, inside the 1h grace): not_authorized, not grace" \
	"no_success && [ -n \"\$(code acct)\" ] && seen 'reason=not_authorized' && ! seen 'step=grace' && ! seen 'event=grace'"
mark
r=$(login sec_admins_plus30m alice alice-password auth acct)
verify "b. the same with a password and auth + acct in one handle: refused, not_authorized" \
	"no_success && seen 'reason=not_authorized' && ! seen 'step=grace' && ! seen 'event=grace'"
back

# ---- c. a group removed at the provider, seen at a refresh, then an outage ----
echo "  -- c. group removed at the provider"
r=$(login sec_admins carol carol-password auth)
verify "c. setup: carol (admins) logs in at the admins-only service" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
idp_user carol groups=devs
r=$(ctl refresh --ahead 15m carol)
verify "c. carol moved to devs at the provider; tokengatectl refresh renews her session with the new claims" \
	"echo \"\$r\" | grep -q '^carol  *renewed' && python3 -c \"import json; d=json.load(open('$T/store/5003')); g=d['claims']['groups']; assert g==['devs'], g\""
outage
mark
r=$(login sec_admins carol carol-password auth)
verify "c. provider down: carol's password at the admins-only service: refused, not_authorized, no grace" \
	"no_success && [ -n \"\$(code auth)\" ] && seen 'reason=not_authorized' && ! seen 'step=grace' && ! seen 'event=grace'"
mark
r=$(drive --service sec_admins_plus30m --user carol acct)
verify "c. provider down, her token expired (30 min later): account refused, not_authorized, no grace" \
	"no_success && [ -n \"\$(code acct)\" ] && seen 'reason=not_authorized' && ! seen 'step=grace' && ! seen 'event=grace'"
back
# a refresh whose new token the service refuses leaves no fresh grace window
r=$(login sec_admins nora nora-password auth)
l0=$(store 5014 last_online)
idp_user nora groups=devs
# checked 5 s later by the test clock (sec_admins_due: clock=+5): a
# last_online rewritten by this refresh would differ from l0
mark
r=$(drive --service sec_admins_due --user nora acct)
l1=$(store 5014 last_online)
r="$r last_online $l0 -> $l1"
verify "c. nora's refresh at the admins-only service brings a devs token: denied not_authorized, last_online unchanged" \
	"no_success && seen 'reason=not_authorized' && [ -n '$l0' ] && [ '$l0' = '$l1' ]"
outage
mark
r=$(drive --service sec_admins_plus30m --user nora acct)
verify "c. then provider down: nora gets no grace at the admins-only service" \
	"no_success && [ -n \"\$(code acct)\" ] && ! seen 'step=grace' && ! seen 'event=grace'"
back

# ---- d. a user disabled at the provider, then an outage ----
echo "  -- d. user disabled at the provider"
r=$(login sec dave dave-password auth)
idp_user dave disabled=1
mark
r=$(drive --service sec_due --user dave acct)
verify "d. dave disabled at the provider: the refresh gets invalid_grant, denied revoked, session purged" \
	"[ \"\$(code acct)\" = PAM_PERM_DENIED ] && seen 'reason=revoked' && [ ! -e '$T/store/5004' ]"
outage
mark
r=$(login sec dave dave-password auth)
verify "d. provider down: dave's password is refused (no grace after a revocation)" \
	"no_success && [ -n \"\$(code auth)\" ] && ! seen 'step=grace' && ! seen 'event=grace'"
mark
r=$(drive --service sec --user dave acct)
verify "d. provider down, account stage alone (a key-based login): PAM_PERM_DENIED, reason=revoked" \
	"[ \"\$(code acct)\" = PAM_PERM_DENIED ] && seen 'event=account result=deny reason=revoked .*user=dave'"
back
mark
r=$(drive --service sec --user dave acct)
verify "d. provider up again, account stage alone: still revoked (PAM_PERM_DENIED)" \
	"[ \"\$(code acct)\" = PAM_PERM_DENIED ] && seen 'reason=revoked .*user=dave'"

# ---- j. revocation sticks: tokengatectl revoke ----
echo "  -- j. revocation sticks"
r=$(login sec erin erin-password auth)
r2=$(ctl revoke erin)
mark
r=$(drive --service sec --user erin acct)
verify "j. after tokengatectl revoke erin, the account stage alone: PAM_PERM_DENIED, reason=revoked" \
	"[ \"\$(code acct)\" = PAM_PERM_DENIED ] && seen 'event=account result=deny reason=revoked .*user=erin'"
r=$(login sec erin erin-password auth acct)
r2=$(drive --service sec --user erin acct)
r="$r
$r2"
verify "j. a fresh online password login makes a new session: auth and account succeed, a later account check too" \
	"[ \"\$(ncode PAM_SUCCESS)\" = 3 ]"

# ---- e. a changed password, then an outage (the stale verifier) ----
echo "  -- e. changed password"
r=$(login sec frank frank-password auth)
idp_user frank password=frank-new-password
mark
r=$(login sec frank frank-password auth)
v=$(store 5006 verifier)
verify "e. frank's password changed at the provider: the old one is refused online, and the stored verifier is deleted" \
	"[ \"\$(code auth)\" = PAM_AUTH_ERR ] && seen 'reason=bad_password' && [ -z '$v' ]"
outage
mark
r=$(login sec frank frank-password auth)
verify "e. provider down: the old password is refused offline too (no grace)" \
	"no_success && [ -n \"\$(code auth)\" ] && ! seen 'step=grace'"
back
r=$(login sec gina gina-password auth)
r=$(login sec gina gina-wrong auth)
v=$(store 5007 verifier)
outage
mark
r=$(login sec gina gina-password auth)
verify "e. a wrong password (matching no verifier) deletes nothing: gina's right one still works offline (grace)" \
	"[ -n '$v' ] && [ \"\$(code auth)\" = PAM_SUCCESS ] && seen 'step=grace'"
back

# ---- f. lockout per (user, rhost), guesses only ----
echo "  -- f. lockout"
A=192.0.2.1 RB=198.51.100.2 RC=203.0.113.3 RD=203.0.113.4 RE=203.0.113.5
reset
mark
i=0
while [ $i -lt 10 ]; do r=$(login lk hank wrong-guess-$i --rhost $A auth); i=$((i + 1)); done
r=$(login lk hank hank-password --rhost $A auth)
verify "f. 10 wrong passwords for hank from A lock (hank, A): his right password from A is refused without asking the provider" \
	"no_success && seen 'event=lockout result=lock' && [ \"\$(count password_for:hank)\" = 10 ]"
htok=$(mint_for hank hank --claim 'groups=["devs"]')
r=$(login lk_tok hank "$htok" --rhost $RB auth)
verify "f. a valid token for hank from B succeeds" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
r=$(login lk_tok hank "$htok" --rhost $A auth)
verify "f. a valid token for hank from A (the locked pair) succeeds too" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
r=$(login lk hank hank-password --rhost $RB auth)
verify "f. hank's right password from B is not locked" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
r=$(login lk kate kate-password --rhost $A auth)
verify "f. another user (kate) from A is not locked by hank's guesses" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
mark
reset
i=0
while [ $i -lt 20 ]; do r=$(login lk ivan '\b\n\r\177INCORRECT' --rhost $RC auth); i=$((i + 1)); done
n_ivan=$(count password_for:ivan)
r=$(login lk ivan ivan-password --rhost $RC auth)
verify "f. sshd's fake password x20 (ivan, C): refused, never sent to the provider, no lockout; the right password then works" \
	"[ \"\$(code auth)\" = PAM_SUCCESS ] && [ '$n_ivan' = 0 ] && ! seen 'event=lockout'"
mark
i=0
while [ $i -lt 20 ]; do r=$(login lk jack 'not.a.token' --rhost $RD auth); i=$((i + 1)); done
r2=$(login lk jack jack-password --rhost $RD auth)
r="$r
$r2"
verify "f. a malformed token x20 (jack, D): refused, no lockout; the right password then works" \
	"[ \"\$(code auth)\" = PAM_SUCCESS ] && seen 'reason=malformed' && ! seen 'event=lockout'"
mark
i=0
while [ $i -lt 12 ]; do r=$(login lk_admins olga olga-password --rhost $RE auth); i=$((i + 1)); done
r2=$(login lk olga olga-password --rhost $RE auth)
r="$r
$r2"
verify "f. a right password refused for authorization (not_authorized) x12 is not a guess: no lockout" \
	"[ \"\$(code auth)\" = PAM_SUCCESS ] && seen 'reason=not_authorized' && ! seen 'event=lockout'"

# ---- g. 1000 user names without a local account ----
echo "  -- g. 1000 bogus user names"
RG=203.0.113.7
i=1
: > "$T/bogus.names"
while [ $i -le 1000 ]; do printf 'nosuchuser%04d\n' $i >> "$T/bogus.names"; i=$((i + 1)); done
mark
t0=$(now_ms)
r=$(drive --service lkb --users "$T/bogus.names" --rhost $RG --answer wrong-password --quiet auth)
t1=$(now_ms)
nb=$(printf '%s\n' "$r" | grep -c ' auth=' || true)
r="$nb results in $((t1 - t0)) ms; $(printf '%s\n' "$r" | sed 's/^[^ ]* //' | sort | uniq -c | tr '\n' ' ')"
echo "     ($r)"
verify "g. 1000 password attempts for user names with no local account: 1000 refusals" \
	"[ '$nb' = 1000 ] && ! echo '$r' | grep -q PAM_SUCCESS"
r=$(login lkb kate kate-password --rhost $RG auth)
verify "g. a real user from the same rhost is not locked out by them" "[ \"\$(code auth)\" = PAM_SUCCESS ]"
r=$(CTL_CONF=$T/bogus.conf ctl cleanup)
left=$(ls -A "$T/cache-bogus/lockout" 2>/dev/null | wc -l)
r="$left files left in cache_dir/lockout; cleanup: $(echo "$r" | tail -1)"
verify "g. after tokengatectl cleanup, nothing of them is left under cache_dir/lockout" "[ '$left' = 0 ]"
# counters past their window are removed; one inside its window is kept
i=0
while [ $i -lt 3 ]; do r=$(login lkp_past paul wrong-$i --rhost 203.0.113.8 auth); i=$((i + 1)); done
before=$(ls -A "$T/cache-past/lockout" 2>/dev/null | wc -l)
r=$(CTL_CONF=$T/past.conf ctl cleanup)
left=$(ls -A "$T/cache-past/lockout" 2>/dev/null | wc -l)
r="$before files before, $left after cleanup: $(echo "$r" | tail -1)"
verify "g. wrong passwords 2 h ago (paul): counters past their window, removed by cleanup" "[ '$before' -ge 1 ] && [ '$left' = 0 ]"
r=$(login lkp paul wrong-now --rhost 203.0.113.8 auth)
r=$(CTL_CONF=$T/past.conf ctl cleanup)
left=$(ls -A "$T/cache-past/lockout" 2>/dev/null | wc -l)
r="$left files after cleanup: $(echo "$r" | tail -1)"
verify "g. a counter inside its window survives cleanup" "[ '$left' -ge 1 ]"

# ---- h. a lockout counter that cannot be written ----
echo "  -- h. unwritable lockout counter"
r=$(login lkh_tok lena "$(mint_for lena lena)" auth) # keys into cache-h
mkdir -p "$T/cache-h"
rm -rf "$T/cache-h/lockout"
: > "$T/cache-h/lockout"
chmod 600 "$T/cache-h/lockout"
reset
mark
r=$(login lkh lena lena-password --rhost 192.0.2.9 auth)
n_lena=$(count password_for:lena)
verify "h. cache_dir/lockout is a regular file: lena's password is refused reason=internal (PAM_AUTHINFO_UNAVAIL), the provider not asked" \
	"[ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ] && seen 'reason=internal' && [ '$n_lena' = 0 ]"
r=$(login lkh_tok lena "$(mint_for lena lena)" --rhost 192.0.2.9 auth)
verify "h. a token login still works" "[ \"\$(code auth)\" = PAM_SUCCESS ]"

# ---- i. a foreign (iss, sub) for an existing user ----
echo "  -- i. foreign identity"
r=$(login sec mike mike-password auth)
evil=$(mint_for mike mike-impostor --claim 'groups=["admins"]')
mark
r=$(login sec_tok mike "$evil" auth)
verify "i. mike's session is owned by (iss, mike): a token for sub mike-impostor is refused user_mismatch (PAM_AUTH_ERR), audited" \
	"[ \"\$(code auth)\" = PAM_AUTH_ERR ] && seen 'event=auth result=deny reason=user_mismatch .*user=mike'"
verify "i.  the session still belongs to sub mike" "[ \"\$(store 5013 sub)\" = mike ]"
r=$(ctl revoke mike)
evil=$(mint_for mike mike-impostor --claim 'groups=["admins"]')
mark
r=$(login sec_tok mike "$evil" auth)
verify "i. after tokengatectl revoke mike the account is released (no more user_mismatch), and the revocation sticks: a token is refused revoked until an online login" \
	"[ \"\$(code auth)\" = PAM_AUTH_ERR ] && seen 'event=auth result=deny reason=revoked .*user=mike' && ! seen 'reason=user_mismatch'"

# ---- k. a forged TOKENGATE_AUTH ----
echo "  -- k. setcred"
mark
r=$(drive --service sec --user alice --putenv TOKENGATE_AUTH=alice setcred)
verify "k. TOKENGATE_AUTH=alice put by the application, no tokengate auth: setcred is not PAM_SUCCESS" \
	"[ -n \"\$(code setcred)\" ] && [ \"\$(code setcred)\" != PAM_SUCCESS ]"
mark
r=$(login sec alice alice-password auth setcred)
verify "k. a real tokengate auth then setcred in the same handle: PAM_SUCCESS twice" "[ \"\$(ncode PAM_SUCCESS)\" = 2 ]"

# ---- l. nothing a person typed reaches syslog ----
echo "  -- l. audit records"
mark
r=$(login sec_tok alice 'correct horse battery staple' --answer '' auth)
verify "l. a password typed at the token prompt: reason=malformed, and the record has no token= fingerprint" \
	"seen 'event=auth result=deny reason=malformed .*user=alice' && ! since | grep -a 'user=alice' | grep -a -q 'token=sha256:' && ! grep -a -q 'correct horse' '$T/audit.log'"
kid=$(printf 'k\302\205a\342\200\256b\342\200\250c')
kp=$(cat "$T/f/current-kid")
bidi=$("$B/tokengatectl" mint --key "$T/f/$kp.pem" --kid "$kid" --iss "$PURL" --aud linux-hosts --sub alice --user alice)
mark
r=$(login sec_tok alice "$bidi" auth)
# shellcheck disable=SC2034 # used in the check's eval
rec=$(since | grep -a 'event=auth .*user=alice' | tail -1)
raw=$(LC_ALL=C grep -a -c -e "$(printf '\302\205')" -e "$(printf '\342\200\256')" -e "$(printf '\342\200\250')" "$T/audit.log" || true)
verify "l. a kid with U+0085, U+202E, U+2028: refused, shown escaped (\\\\u0085 \\\\u202e \\\\u2028) in the record, never raw" \
	"no_success && echo \"\$rec\" | grep -q -F 'u0085' && echo \"\$rec\" | grep -q -F 'u202e' && echo \"\$rec\" | grep -q -F 'u2028' && [ '$raw' = 0 ]"

# ---- m. a misspelt key fails closed ----
echo "  -- m. configuration typos"
{ cat "$T/tg.conf"; printf '\n[service sec_typo]\nmethods = password\nalowed_groups = admins\n'; } > "$T/typo-svc.conf"
sed "s|^issuer = .*|&\nalowed_groups = admins|" "$T/tg.conf" > "$T/typo-iss.conf"
chmod 600 "$T/typo-svc.conf" "$T/typo-iss.conf"
svc sec_typo "$T/typo-svc.conf"
svc sec_typo2 "$T/typo-iss.conf"
for f in typo-svc typo-iss; do
	line=$(grep -n '^alowed_groups' "$T/$f.conf" | cut -d: -f1)
	s=sec_typo; [ $f = typo-iss ] && s=sec_typo2
	mark
	r=$(login $s alice alice-password auth)
	r2=$(drive --service $s --user alice acct)
	r="$r
$r2"
	verify "m. 'alowed_groups' in the $([ $f = typo-svc ] && echo '[service]' || echo '[issuer]') section: auth and account PAM_AUTHINFO_UNAVAIL, event=config naming $f.conf:$line" \
		"[ \"\$(code auth)\" = PAM_AUTHINFO_UNAVAIL ] && [ \"\$(code acct)\" = PAM_AUTHINFO_UNAVAIL ] && seen 'event=config.*$f.conf:$line'"
	out=$("$B/tokengatectl" check-config --config "$T/$f.conf" 2>&1) && rc=0 || rc=$?
	r="exit $rc: $out"
	verify "m. tokengatectl check-config --config $f.conf: exit 1, names $f.conf:$line and alowed_groups" \
		"[ $rc = 1 ] && echo \"\$out\" | grep -q '$f.conf:$line' && echo \"\$out\" | grep -q alowed_groups"
done
out=$("$B/tokengatectl" check-config --config "$T/tg.conf" 2>&1) && rc=0 || rc=$?
r="exit $rc: $out"
verify "m. tokengatectl check-config on the suite's own config: exit 0" "[ $rc = 0 ]"

stop_all
trap - EXIT
suite_end
