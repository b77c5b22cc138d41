#!/bin/sh
# End to end through the real programs (root only): OpenSSH's sshd and ssh,
# su and login under expect, sudo, each with pam_tokengate against the real
# provider (oidc-provider behind the fault proxy, on 127.0.0.1).
# Everything happens in a private mount namespace: /etc/pam.d, /etc/sudoers,
# /etc/passwd, /etc/shadow and /etc/group are private copies (the test users
# alice and bob exist only there), /run is a fresh tmpfs (sshd's privsep
# directory, utmp), the login records are private files, and /dev/log is a
# sink the checks read. Nothing on the host changes. Bounded: each client
# runs under timeout, the provider and sshd stop with the suite.
set -eu
[ "$(id -u)" = 0 ] || { echo "the end-to-end suite needs root"; exit 1; }
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$here/../tools/suite.sh"
# the test users' home directories are below T
private_log_ns tg-e2e 755
. "$TG_IDP_DIR/lib.sh"
LOG_SETTLE=0.2 # records from sshd's and sudo's children

# ---- the private world ----
mount -t tmpfs -o mode=755 tg-run /run
# ptys of our own for expect (a new devpts instance)
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 tg-pts /dev/pts
mount --bind /dev/pts/ptmx /dev/ptmx
mkdir -m 755 /run/sshd
mkdir -m 711 /run/sudo # sudo keeps its timestamps (timestamp_timeout) in /run/sudo/ts
: > /run/utmp
for f in /var/log/wtmp /var/log/btmp /var/log/lastlog /var/log/faillog; do
	[ -e "$f" ] || continue
	: > "$T/$(basename "$f")"
	mount --bind "$T/$(basename "$f")" "$f"
done
uid_free() { ! getent passwd "$1" >/dev/null; }
AUID=5001 BUID=5002
while ! uid_free $AUID || ! uid_free $BUID; do AUID=$((AUID + 10)); BUID=$((BUID + 10)); done
mkdir -p "$T/etc" "$T/home/alice" "$T/home/bob"
cp /etc/passwd /etc/group "$T/etc/"
cp /etc/shadow "$T/etc/shadow" 2>/dev/null || : > "$T/etc/shadow"
cat >> "$T/etc/passwd" <<EOF
alice:x:$AUID:$AUID:Alice:$T/home/alice:/bin/sh
bob:x:$BUID:$BUID:Bob:$T/home/bob:/bin/sh
EOF
printf 'alice:x:%s:\nbob:x:%s:\n' $AUID $BUID >> "$T/etc/group"
printf 'alice:*:19000:0:99999:7:::\nbob:*:19000:0:99999:7:::\n' >> "$T/etc/shadow"
chmod 640 "$T/etc/shadow"
for f in passwd group shadow; do mount --bind "$T/etc/$f" "/etc/$f"; done
chown alice:alice "$T/home/alice"
chown bob:bob "$T/home/bob"

[ -d "$TG_IDP_DIR/node_modules/oidc-provider" ] || (cd "$TG_IDP_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1)
start_behind_proxy "$T/f" || { echo "provider did not start"; cat "$T/f/idp.log"; exit 1; }
SSHD_PID=
stop_all() {
	[ -z "$SSHD_PID" ] || kill "$SSHD_PID" 2>/dev/null || true
	kill "$IDP_PID" "$PROXY_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop_all EXIT
UP=$(cat "$T/f/upstream")
mode() { echo "$1" > "$T/f/mode"; }
mode pass
stats() { curl -s "$UP/test/stats"; }
count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }
reset() { curl -s -X POST "$UP/test/reset" >/dev/null; }
echo "  provider: $PURL; users alice ($AUID), bob ($BUID)"

printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
methods = token, password, device
http_connect_timeout = 1s
http_timeout = 2s
offline_grace = 12h
device_timeout = 60s

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 50

[service tg-sshd-due]
refresh_ahead = 15m

[service tg-sudo]
methods = password, token
offline_grace = 1h

[service tg-sudo-2h]
methods = password, token
offline_grace = 1h

[service tg-sudo-token]
methods = token

[service tg-sudo-fresh]
methods = device
max_auth_age = 10m
device_timeout = 40s
CONF
chmod 600 "$T/tg.conf"

mod=$B/test/pam_tokengate.so
mkdir "$T/pam.d"
pamsvc() { # name [module args...]
	_s=$1; shift
	{
		printf 'auth     required %s config=%s %s\n' "$mod" "$T/tg.conf" "$*"
		printf 'account  required %s config=%s require_session %s\n' "$mod" "$T/tg.conf" "$*"
		printf 'session  required %s config=%s %s\n' "$mod" "$T/tg.conf" "$*"
	} > "$T/pam.d/$_s"
}
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' > "$T/pam.d/other"
pamsvc tg-sshd
pamsvc tg-sshd-due
pamsvc tg-sshd-13h clock=+46800
pamsvc su
pamsvc login
pamsvc tg-sudo
pamsvc tg-sudo-2h clock=+7200
pamsvc tg-sudo-token
pamsvc tg-sudo-fresh
# sudo opens the session for the target user (root), who has no tokengate
# session: the module ignores it, as a stack with other session modules
# (Debian's common-session) expects; pam_permit stands in for those here.
for s in tg-sudo tg-sudo-2h tg-sudo-token tg-sudo-fresh; do echo 'session  optional pam_permit.so' >> "$T/pam.d/$s"; done
mount --bind "$T/pam.d" /etc/pam.d
cat > "$T/sudoers" <<EOF
Defaults pam_service=tg-sudo
Defaults:bob pam_service=tg-sudo-2h
Defaults!/usr/bin/id pam_service=tg-sudo-token
Defaults!/usr/bin/whoami pam_service=tg-sudo-fresh
Defaults !lecture, passwd_tries=1, timestamp_timeout=0
Defaults:alice timestamp_type=global, timestamp_timeout=10
root ALL=(ALL) ALL
alice ALL=(ALL) ALL
bob ALL=(ALL) ALL
EOF
chmod 440 "$T/sudoers"
mkdir -m 755 "$T/sudoers.d"
mount --bind "$T/sudoers" /etc/sudoers
[ -d /etc/sudoers.d ] && mount --bind "$T/sudoers.d" /etc/sudoers.d

# A token of alice's, signed with the provider's own key, padded past
# 1.5 KB so the ssh client has to send it in pieces of 1023.
kid=$(cat "$T/f/current-kid")
pad=$(head -c 900 /dev/zero | tr '\0' 'x')
"$B/tokengatectl" mint --key "$T/f/$kid.pem" --kid "$kid" --iss "$PURL" --aud linux-hosts \
	--sub alice --user alice --ttl 3600 --claim "pad=$pad" > "$T/token"
"$B/tokengatectl" mint --key "$T/f/$kid.pem" --kid "$kid" --iss "$PURL" --aud linux-hosts \
	--sub bob --user bob --ttl 3600 > "$T/token-bob"
echo "  alice's token: $(wc -c < "$T/token") bytes"

# ---- sshd, as a private service (the name is argv[0]) ----
. "$here/sshd.sh"
# What the person at the ssh client answers, prompt by prompt (SSH_ASKPASS):
# ASK=token|password|device|wrong. Pieces of the token are 1023 bytes, the
# most the ssh client sends.
cat > "$T/askpass" <<EOF
#!/bin/sh
p=\$1
echo "\$p" >> "$T/prompts"
case "\$p" in
*"enter the code"*)
	code=\$(printf '%s' "\$p" | sed -n 's/.*enter the code \([A-Z0-9-]*\)).*/\1/p' | head -1)
	curl -s -X POST "$UP/test/device/approve?user_code=\$code&user=\${ASK_USER:-alice}" > /dev/null
	echo; exit 0 ;;
esac
case "\$ASK" in
token|wrong)
	i=\$(cat "$T/piece" 2>/dev/null || echo 0)
	echo \$((i + 1)) > "$T/piece"
	f=\${ASK_TOKEN:-$T/token}; [ "\$ASK" = wrong ] && f=$T/token-bob
	cut -c \$((i * 1023 + 1))-\$((i * 1023 + 1023)) "\$f" ;;
password) echo "\${ASK_USER:-alice}-password" ;;
device) echo ;;
esac
EOF
chmod 755 "$T/askpass"
ssh_as() { # user ASK -> the client's output in $T/ssh.out, its status in $st
	rm -f "$T/piece" "$T/prompts"
	st=0
	env SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ASK="$2" ASK_USER="$1" \
		timeout 90 setsid ssh -F /dev/null -p "$PORT" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PreferredAuthentications=keyboard-interactive \
		-o NumberOfPasswordPrompts=1 -o LogLevel=ERROR "$1@127.0.0.1" 'echo hello-$(id -un); echo "tgauth=${TOKENGATE_AUTH-}"' \
		< /dev/null > "$T/ssh.out" 2>&1 || st=$?
	r="status $st: $(tr '\n' ' ' < "$T/ssh.out" | cut -c1-300)"
}
sshd_said() { sleep 0.2; grep -q -- "$1" "$T/sshd.log"; }

sshd_start tg-sshd
t0=$(now_ms); ssh_as alice token; t1=$(now_ms)
echo "  ssh token login: $((t1 - t0)) ms"
check "sshd: a $(wc -c < "$T/token")-byte token through the stock ssh client, in pieces of 1023: logged in" \
	"[ $st = 0 ] && grep -q '^hello-alice\$' '$T/ssh.out' && [ \"\$(grep -c 'Token (continued)' '$T/prompts')\" -ge 1 ]"
check "  sshd's setcred runs in another process than auth: the PAM environment carries the helper's proof (user:service:time:session:mac), not a bare name, and no setcred refusal is logged" \
	"grep -Eq '^tgauth=alice:tg-sshd:[0-9]+:[0-9a-f-]{36}:[0-9a-f]{64}\$' '$T/ssh.out' && ! logged 'is not a proof of our authentication'"
sid=$(grep -a 'event=auth result=allow reason=ok service=tg-sshd user=alice' "$T/audit.log" | tail -1 | sed -n 's/.* session=\([0-9a-f-]*\) .*/\1/p')
check "  one id links the login's records across sshd's processes: auth (its PAM child), account, session_open, session_close (the monitor): session=$sid" \
	"[ -n '$sid' ] && logged 'event=account result=allow reason=ok service=tg-sshd user=alice .*session=$sid' && logged 'event=session_open result=allow reason=ok service=tg-sshd user=alice .*session=$sid' && logged 'event=session_close result=allow reason=ok service=tg-sshd user=alice .*session=$sid'"
"$B/tokengatectl" audit alice --file "$T/audit.log" --json > "$T/trail.json" 2>/dev/null || true
check "  tokengatectl audit alice puts that ssh login back together: auth, account, session_open, session_close in order" \
	"python3 - '$T/trail.json' '$sid' <<'PY'
import json, sys
recs, sid = json.load(open(sys.argv[1])), sys.argv[2]
got = [r['event'] for r in recs if r.get('session') == sid and r['event'] in ('auth', 'account', 'session_open', 'session_close')]
assert got == ['auth', 'account', 'session_open', 'session_close'], got
PY"

check "  sshd's own log: Accepted keyboard-interactive/pam for alice" \
	"sshd_said 'Accepted keyboard-interactive/pam for alice from 127.0.0.1'"
check "  audited: auth, account and session_open allow for service tg-sshd" \
	"logged 'event=auth result=allow reason=ok service=tg-sshd user=alice .*method=token' && logged 'event=account result=allow reason=ok service=tg-sshd user=alice' && logged 'event=session_open result=allow reason=ok service=tg-sshd user=alice'"

ssh_as alice wrong
check "sshd: a token of another user is refused (Failed keyboard-interactive/pam), audited user_mismatch" \
	"[ $st != 0 ] && ! grep -q hello '$T/ssh.out' && sshd_said 'Failed keyboard-interactive/pam for alice' && logged 'event=auth result=deny reason=user_mismatch service=tg-sshd user=alice'"

reset
t0=$(now_ms); ssh_as alice device; t1=$(now_ms)
echo "  ssh device login (approved at once): $((t1 - t0)) ms"
check "sshd: device login - Enter at the prompt, the code approved at the provider while ssh waits: logged in" \
	"[ $st = 0 ] && grep -q '^hello-alice\$' '$T/ssh.out' && grep -q 'enter the code' '$T/prompts' && [ \"\$(count grant:urn:ietf:params:oauth:grant-type:device_code)\" = 1 ] && logged 'event=auth result=allow reason=ok service=tg-sshd user=alice .*method=device'"

t0=$(now_ms); ssh_as bob password; t1=$(now_ms)
echo "  ssh password login: $((t1 - t0)) ms"
check "sshd: password login (password grant) for bob" \
	"[ $st = 0 ] && grep -q '^hello-bob\$' '$T/ssh.out' && logged 'event=auth result=allow reason=ok service=tg-sshd user=bob .*method=password'"

mode reset
ssh_as bob password
check "sshd, provider down, inside bob's 12h grace: the offline password check lets him in, audited event=grace" \
	"[ $st = 0 ] && grep -q '^hello-bob\$' '$T/ssh.out' && logged 'event=grace result=allow reason=idp_unreachable service=tg-sshd user=bob'"
sshd_start tg-sshd-13h
ssh_as bob password
check "sshd, provider down, 13 h later (outside the grace window): refused, audited grace_expired" \
	"[ $st != 0 ] && sshd_said 'Failed keyboard-interactive/pam for bob' && logged 'reason=grace_expired service=tg-sshd-13h user=bob'"
mode pass

# revoked: the provider revokes alice's grants; her next login needs a
# refresh (refresh_ahead 15m here), which fails with invalid_grant
sshd_start tg-sshd-due
curl -s -X POST "$UP/test/revoke?user=alice" > /dev/null
"$B/tokengatectl" mint --key "$T/f/$kid.pem" --kid "$kid" --iss "$PURL" --aud linux-hosts \
	--sub alice --user alice --ttl 600 > "$T/token-10m"
ASK_TOKEN=$T/token-10m ssh_as alice token
check "sshd: a user revoked at the provider is refused at the account stage and told why, session purged" \
	"[ $st != 0 ] && ! grep -q hello '$T/ssh.out' && logged 'event=account result=deny reason=revoked service=tg-sshd-due user=alice' && [ ! -e '$T/store/$AUID' ]"
kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true; SSHD_PID=

# ---- su and login under expect ----
cat > "$T/su.exp" <<'EOF'
set timeout 30
spawn su [lindex $argv 0] -c {echo hello-$(id -un)}
expect {
	-re "Password or token\[^:]*: $" { send -- "$env(ANSWER)\r"; exp_continue }
	-re "hello-(\[a-z]+)" { puts "\nGOT $expect_out(1,string)"; exp_continue }
	eof
}
lassign [wait] pid spawnid oserr status
exit $status
EOF
su_as() { # user answer
	st=0
	ANSWER=$2 timeout -s KILL 60 expect -f "$T/su.exp" "$1" > "$T/su.out" 2>&1 || st=$?
	r="status $st: $(tr '\n' ' ' < "$T/su.out" | tail -c 300)"
}
# A revocation sticks: alice's token, issued before her revocation above,
# is refused at auth too, until a fresh online login makes a new session.
su_as alice "$(cat "$T/token")"
check "su with a token issued before alice's revocation: refused, audited revoked" \
	"[ $st != 0 ] && ! grep -q '^GOT' '$T/su.out' && logged 'event=auth result=deny reason=revoked service=su user=alice'"
su_as alice alice-password
check "  a fresh online login (her password) lifts the revocation" \
	"[ $st = 0 ] && grep -q '^GOT alice' '$T/su.out' && logged 'event=auth result=allow reason=ok service=su user=alice .*method=password'"
t0=$(now_ms); su_as alice "$(cat "$T/token")"; t1=$(now_ms)
echo "  su token login (expect, whole run): $((t1 - t0)) ms"
check "su (under expect) with a token: alice's shell runs, audited service=su" \
	"[ $st = 0 ] && grep -q '^GOT alice' '$T/su.out' && logged 'event=auth result=allow reason=ok service=su user=alice .*method=token'"
t0=$(now_ms); su_as bob bob-password; t1=$(now_ms)
echo "  su password login (expect, whole run): $((t1 - t0)) ms"
check "su with the password method" \
	"[ $st = 0 ] && grep -q '^GOT bob' '$T/su.out' && logged 'event=auth result=allow reason=ok service=su user=bob .*method=password'"
su_as bob wrong-password
check "su with a wrong password: refused (su: Authentication failure), audited bad_password" \
	"[ $st != 0 ] && ! grep -q '^GOT' '$T/su.out' && grep -q 'Authentication failure' '$T/su.out' && logged 'event=auth result=deny reason=bad_password service=su user=bob'"

cat > "$T/login.exp" <<'EOF'
set timeout 30
spawn login [lindex $argv 0]
expect {
	-re "Password or token\[^:]*: $" { send -- "$env(ANSWER)\r"; exp_continue }
	-re {\$ $} { send -- "echo hello-\$(id -un); exit\r"; exp_continue }
	-re "hello-(\[a-z]+)" { puts "\nGOT $expect_out(1,string)"; exp_continue }
	"Login incorrect" { puts "\nREFUSED"; exit 1 }
	eof
}
EOF
login_as() {
	st=0
	(cd "$T/home/$1" && ANSWER=$2 timeout -s KILL 60 expect -f "$T/login.exp" "$1" > "$T/login.out" 2>&1) || st=$?
	r="status $st: $(tr '\n' ' ' < "$T/login.out" | tail -c 300)"
}
t0=$(now_ms); login_as alice "$(cat "$T/token")"; t1=$(now_ms)
echo "  login token login (expect, whole run): $((t1 - t0)) ms"
check "login (under expect) with a token: a shell for alice, audited service=login" \
	"grep -q '^GOT alice' '$T/login.out' && logged 'event=auth result=allow reason=ok service=login user=alice .*method=token' && logged 'event=session_open result=allow reason=ok service=login user=alice'"
login_as bob bob-password
check "login with the password method" \
	"grep -q '^GOT bob' '$T/login.out' && logged 'event=auth result=allow reason=ok service=login user=bob .*method=password'"

# ---- sudo: the password method, a grace window of its own ----
sudo_as() { # user answer [command]
	_u=$1 _a=$2; shift 2
	st=0
	[ $# -gt 0 ] || set -- sh -c 'echo hello-$(id -un)'
	printf '%s\n' "$_a" | timeout 60 setsid setpriv --reuid="$_u" --regid="$_u" --init-groups \
		sudo -S -k "$@" > "$T/sudo.out" 2>&1 || st=$?
	r="status $st: $(tr '\n' ' ' < "$T/sudo.out" | tail -c 300)"
}
t0=$(now_ms); sudo_as alice alice-password; t1=$(now_ms)
echo "  sudo password login (whole run): $((t1 - t0)) ms"
check "sudo -S with alice's password: runs as root, audited service=tg-sudo method=password" \
	"[ $st = 0 ] && grep -q 'hello-root' '$T/sudo.out' && logged 'event=auth result=allow reason=ok service=tg-sudo user=alice .*method=password'"
check "  sudo asks for the password only (no token fits its 511-byte answers)" \
	"! grep -q 'Password or token' '$T/sudo.out'"
sudo_as alice "$(cat "$T/token")"
check "  a token pasted at sudo's password prompt is refused" \
	"[ $st != 0 ] && ! grep -q hello '$T/sudo.out' && logged 'event=auth result=deny reason=no_credentials service=tg-sudo user=alice'"
sudo_as alice "$(cat "$T/token")" /usr/bin/id -un
check "sudo with the token method only: refused before any prompt, and the message says why (511 bytes)" \
	"[ $st != 0 ] && ! grep -q '^root' '$T/sudo.out' && grep -q 'this program (sudo) cuts answers at 511 bytes and tokens are longer' '$T/sudo.out' && logged 'event=auth result=deny reason=no_credentials service=tg-sudo-token user=alice'"
sudo_as bob bob-password
mode reset
sudo_as alice alice-password
check "sudo, provider down, inside sudo's own 1h grace: allowed, audited event=grace" \
	"[ $st = 0 ] && grep -q 'hello-root' '$T/sudo.out' && grep -q 'Identity provider unreachable: offline access ends in' '$T/sudo.out' && logged 'event=grace result=allow reason=idp_unreachable service=tg-sudo user=alice'"
sudo_as bob bob-password
check "sudo, provider down, 2 h later: beyond sudo's 1h grace (sshd's would be 12h): refused, grace_expired" \
	"[ $st != 0 ] && ! grep -q hello '$T/sudo.out' && logged 'reason=grace_expired service=tg-sudo-2h user=bob'"
mode pass

# ---- sudo with max_auth_age = 10m: a device login asking max_age, and
# the step-up when sudo runs account only (inside its timestamp) ----
authn() { curl -s -X POST "$UP/test/authn?user=alice&$1" >/dev/null; }
# sudo_dev USER [sudo args]: sudo -S, the person approving the device login
# its prompt shows (in the background, as a person at a browser would)
sudo_dev() {
	_u=$1; shift
	: > "$T/sudo.out"
	st=0
	( i=0; while [ $i -lt 300 ]; do
		code=$(sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p' "$T/sudo.out" | tail -1)
		if [ -n "$code" ]; then
			curl -s -X POST "$UP/test/device/approve?user_code=$code&user=$_u" > /dev/null; break
		fi
		sleep 0.1; i=$((i + 1))
	done ) &
	_w=$!
	printf '\n' | timeout 60 setsid setpriv --reuid="$_u" --regid="$_u" --init-groups \
		sudo -S "$@" >> "$T/sudo.out" 2>&1 || st=$?
	kill $_w 2>/dev/null || true
	wait $_w 2>/dev/null || true
	r="status $st: $(tr '\n' ' ' < "$T/sudo.out" | tail -c 300)"
}
sshd_start tg-sshd
authn age=3600
ssh_as alice device
check "ssh by a device approval that rests on alice's provider login of an hour ago (sshd asks no max_age): logged in" \
	"[ $st = 0 ] && grep -q '^hello-alice\$' '$T/ssh.out'"
reset
sudo_dev alice /usr/bin/whoami
check "sudo (max_auth_age 10m, methods = device): the device login asks max_age=600, the provider re-authenticates alice, root" \
	"[ $st = 0 ] && grep -q 'root\$' '$T/sudo.out' && [ \"\$(count device:reauth)\" = 1 ] && logged 'event=auth result=allow reason=ok service=tg-sudo-fresh user=alice .*method=device'"
authn age=3600
ssh_as alice device
st=0
setpriv --reuid=alice --regid=alice --init-groups sudo -n /usr/bin/whoami > "$T/sudo.out" 2>&1 < /dev/null || st=$?
r="status $st: $(tr '\n' ' ' < "$T/sudo.out")"
check "sudo -n inside sudo's timestamp (account only), the session back on the hour-old login: refused, no fresh login" \
	"[ $st != 0 ] && ! grep -q '^root' '$T/sudo.out' && logged 'event=account result=deny reason=not_authorized service=tg-sudo-fresh user=alice .*fresh or stronger login is needed'"
reset
sudo_dev alice /usr/bin/whoami
check "sudo inside its timestamp with a person: the account stage steps up by a device login, root; audited step_up=yes" \
	"[ $st = 0 ] && grep -q 'root\$' '$T/sudo.out' && grep -q 'This service needs a fresh login at your identity provider' '$T/sudo.out' && logged 'event=account result=allow reason=ok service=tg-sudo-fresh user=alice .*method=device.*step_up=yes'"

check "no secret reached the audit log (tokens, passwords, refresh tokens)" \
	"! grep -a -q -e 'alice-password' -e 'bob-password' -e \"\$(cut -c1-60 '$T/token')\" '$T/audit.log'"

stop_all
trap - EXIT
suite_end
