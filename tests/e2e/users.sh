#!/bin/sh
# End to end (root only) for people who exist only at the provider
# (create_users = yes, docs/USERS.md): the real sshd and ssh client under
# expect, pam_tokengate with the device method against the real provider
# (oidc-provider behind the fault proxy, on 127.0.0.1), pam_mkhomedir, and
# the SHIPPED build of libnss_tokengate.so.2 (compiled-in directory
# /var/lib/tokengate-nss) in glibc's NSS, for sshd, id and getent alike.
#
# Everything happens in a private mount namespace, as in run.sh: /run is a
# fresh tmpfs, /etc/pam.d, /etc/passwd, /etc/group, /etc/shadow are private
# copies, ptys come from a devpts instance of our own, /dev/log is a sink
# the checks read. In addition:
# - /etc/nsswitch.conf: a copy with "tokengate" appended to the passwd and
#   group lines, bind-mounted over the original.
# - The module is found the way glibc finds any libnss_NAME.so.2, by name
#   through the dynamic linker's cache: a private /etc/ld.so.cache, built
#   with `ldconfig -X -C` from the host's own /etc/ld.so.conf plus one
#   directory holding a copy of build/libnss_tokengate.so.2, bind-mounted
#   over the original. One file is replaced, every other library resolves
#   as before; nothing is added to the multiarch directory, and no
#   LD_LIBRARY_PATH is needed (sshd would not pass it on to its children).
# - /var is an overlay (lower: the host's /var; upper and work directories
#   under $T), so that /var/lib/tokengate-nss, which the host does not
#   have, can be made, and every write below /var inside the namespace
#   (ldconfig's /var/cache/ldconfig/aux-cache, which it writes even with
#   -C; sshd's wtmp and lastlog) lands in $T. Every host entry stays
#   visible; nothing on the host changes. The login records are still
#   empty files of our own (no copy-up of the host's).
# carol exists only at the provider. Her first ssh connection makes her
# record and fails (sshd keeps its pre-authentication "no such user"); the
# second lands in her shell with the derived uid, her groups and a home
# made by pam_mkhomedir. A second "host" (its own store and record
# directory) derives the same uid. A revocation disables the record and
# the next connection is refused. Bounded: each client under timeout, a
# 20 s device_timeout, sshd and the provider stopped by the trap.
set -eu
[ "$(id -u)" = 0 ] || { echo "the end-to-end suite needs root"; exit 1; }
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$here/../tools/suite.sh"
# carol's home directory is below T
private_log_ns tg-e2eu 755
. "$TG_IDP_DIR/lib.sh"
LOG_SETTLE=0.2 # records from sshd's children
if getent passwd carol >/dev/null || getent group linux-ops >/dev/null; then
	echo "  this host has a local carol or linux-ops: the suite needs them unknown"
	exit 1
fi

# ---- the private world ----
mount -t tmpfs -o mode=755 tg-run /run
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 tg-pts /dev/pts
mount --bind /dev/pts/ptmx /dev/ptmx
mkdir -m 755 /run/sshd
: > /run/utmp
mkdir -p "$T/var/up" "$T/var/work"
mount -t overlay -o "lowerdir=/var,upperdir=$T/var/up,workdir=$T/var/work" tg-var /var
for f in /var/log/wtmp /var/log/btmp /var/log/lastlog /var/log/faillog; do
	[ -e "$f" ] || continue
	: > "$T/$(basename "$f")"
	chmod --reference="$f" "$T/$(basename "$f")"
	chown --reference="$f" "$T/$(basename "$f")"
	mount --bind "$T/$(basename "$f")" "$f"
done
mkdir -m 755 /var/lib/tokengate-nss
mkdir -p "$T/etc" "$T/home"
cp /etc/passwd /etc/group "$T/etc/"
cp /etc/shadow "$T/etc/shadow" 2>/dev/null || : > "$T/etc/shadow"
chmod 640 "$T/etc/shadow"
for f in passwd group shadow; do mount --bind "$T/etc/$f" "/etc/$f"; done
sed -E 's/^(passwd|group):.*/& tokengate/' /etc/nsswitch.conf > "$T/etc/nsswitch.conf"
grep -q '^passwd:.* tokengate$' "$T/etc/nsswitch.conf" && grep -q '^group:.* tokengate$' "$T/etc/nsswitch.conf" ||
	{ echo "  /etc/nsswitch.conf has no passwd or group line"; exit 1; }
mount --bind "$T/etc/nsswitch.conf" /etc/nsswitch.conf
mkdir -m 755 "$T/nsslib"
cp "$B/libnss_tokengate.so.2" "$T/nsslib/"
printf 'include /etc/ld.so.conf\n%s\n' "$T/nsslib" > "$T/ld.so.conf"
ldconfig -X -C "$T/ld.so.cache" -f "$T/ld.so.conf"
mount --bind "$T/ld.so.cache" /etc/ld.so.cache

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
echo pass > "$T/f/mode"
count() { curl -s "$UP/test/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }
echo "  provider: $PURL"

# ---- tokengate: records for the provider's people ----
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
tgconf() { # file store-suffix
	cat > "$1" <<CONF
[global]
store_dir = $T/store$2
cache_dir = $T/cache$2
methods = device
http_connect_timeout = 1s
http_timeout = 2s
device_timeout = 20s
nss_dir = /var/lib/tokengate-nss
home_template = $T/home/%u

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 50
create_users = yes
# sudo is named here so that the local-group rule, not the pattern, is
# what keeps the provider's sudo group out
unix_groups = linux-* sudo
CONF
	chmod 600 "$1"
}
tgconf "$T/tg.conf" ""
tgconf "$T/tg2.conf" 2

mod=$B/test/pam_tokengate.so
mkdir "$T/pam.d"
{
	printf 'auth     required %s config=%s\n' "$mod" "$T/tg.conf"
	printf 'account  required %s config=%s require_session\n' "$mod" "$T/tg.conf"
	printf 'session  required %s config=%s\n' "$mod" "$T/tg.conf"
	printf 'session  optional pam_mkhomedir.so skel=/etc/skel umask=0077\n'
} > "$T/pam.d/tg-usshd"
printf 'auth required pam_deny.so\naccount required pam_deny.so\npassword required pam_deny.so\nsession required pam_deny.so\n' > "$T/pam.d/other"
mount --bind "$T/pam.d" /etc/pam.d

# ---- sshd, as a private service (the name is argv[0]) ----
. "$here/sshd.sh"
sshd_start tg-usshd

# The person at the ssh client, under expect: at the device prompt she
# approves the code at the provider (its test route, as carol), then
# presses Enter. PROMPTED is printed for each device prompt seen.
cat > "$T/ssh.exp" <<'EOF'
set timeout 40
lassign $argv port user up cmd
spawn -noecho ssh -F /dev/null -p $port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o PreferredAuthentications=keyboard-interactive -o NumberOfPasswordPrompts=1 \
	-o ConnectTimeout=5 $user@127.0.0.1 $cmd
expect {
	-re {enter the code ([A-Z0-9-]+)[^\n]*\n} {
		set code $expect_out(1,string)
		puts "\nPROMPTED $code"
		exec curl -s -X POST "$up/test/device/approve?user_code=$code&user=$user"
		exp_continue
	}
	-re {approved it[^:]*: $} { send "\r"; exp_continue }
	timeout { puts "\nTIMEOUT"; exit 99 }
	eof
}
lassign [wait] pid spawnid oserr status
exit $status
EOF
nssh=0
ssh_as() { # user command -> output in $T/ssh.txt (and ssh-N.txt), status in $st
	st=0 nssh=$((nssh + 1))
	env -u DISPLAY -u SSH_ASKPASS timeout -s KILL 50 expect -f "$T/ssh.exp" "$PORT" "$1" "$UP" "$2" \
		< /dev/null > "$T/ssh.out" 2>&1 || st=$?
	tr -d '\r' < "$T/ssh.out" > "$T/ssh.txt"
	cp "$T/ssh.txt" "$T/ssh-$nssh.txt"
	r="status $st: $(tr '\n' ' ' < "$T/ssh.txt" | cut -c1-400)"
}
sshd_said() { sleep 0.2; grep -q -- "$1" "$T/sshd.log"; }
said() { grep -q -- "$1" "$T/ssh.txt"; }
# the ids, derived here independently: lo + SHA-256(kind NUL iss NUL x)[:8] mod span
derive() { python3 -c "import hashlib,sys; d=hashlib.sha256(sys.argv[1].encode()+b'\0'+sys.argv[2].encode()+b'\0'+sys.argv[3].encode()).digest(); print(int(sys.argv[4])+int.from_bytes(d[:8],'big')%int(sys.argv[5]))" "$@"; }
CU=$(derive uid "$PURL" carol 1879048192 134217728)
OPSG=$(derive gid "$PURL" linux-ops 2013265920 134217727)
getent_pw() { getent passwd "$1" || true; }
CMD='echo hello-$(id -un); id; echo "home=$HOME"; stat -c "owner=%U:%G mode=%a" "$HOME"; ls -A "$HOME" | tr "\n" " "; echo'

# ---- the checks ----
curl -s -X POST "$UP/test/user?name=carol&groups=linux-ops,sudo" > /dev/null
r="getent: $(getent_pw carol)"
check "carol exists only at the provider: getent passwd carol is empty; NSS has tokengate, the shipped module through the linker's cache" \
	"[ -z \"\$(getent_pw carol)\" ] && grep -q '^passwd:.* tokengate\$' /etc/nsswitch.conf && ldconfig -p | grep -q 'libnss_tokengate.so.2 .*=> $T/nsslib/libnss_tokengate.so.2\$' && cmp -s '$B/libnss_tokengate.so.2' '$T/nsslib/libnss_tokengate.so.2'"

t0=$(now_ms); ssh_as carol "$CMD"; t1=$(now_ms)
echo "  first ssh (no record yet): $((t1 - t0)) ms"
check "first ssh: the device prompt is shown and approved at the provider (one device_code grant)" \
	"said '^PROMPTED ' && [ \"\$(count grant:urn:ietf:params:oauth:grant-type:device_code)\" = 1 ]"
check "  her record is made (audited event=user result=create, uid $CU (sub carol))" \
	"logged 'event=user result=create reason=ok service=tg-usshd user=carol .*detail=\"uid $CU (sub carol)'"
r="getent: $(getent_pw carol)"
check "  getent passwd carol (the shipped module) answers with the uid derived independently: $CU" \
	"[ \"\$(getent_pw carol)\" = 'carol:x:$CU:100::$T/home/carol:/bin/bash' ]"
r="status $st; sshd: $(grep -a carol "$T/sshd.log" | tr '\n' ' ' | cut -c1-400)"
check "  and this first connection fails: sshd's invalid user (its lookup before authentication)" \
	"[ $st != 0 ] && ! grep -q '^hello-' '$T/ssh.txt' && sshd_said 'Invalid user carol from 127.0.0.1' && ! sshd_said 'Accepted keyboard-interactive/pam for carol'"
check "  refused honestly: the audit says deny (record ready, sshd took the name for an invalid user), the client is told to connect again, sshd reports no internal error" \
	"logged 'event=auth result=deny reason=no_credentials service=tg-usshd user=carol .*method=device.*record ready' && said 'connect again to log in' && ! sshd_said 'PAM auth succeeded when it should have failed'"
[ ! -e "$T/home/carol" ] || echo "  (note: $T/home/carol exists already after the first connection)"

t0=$(now_ms); ssh_as carol "$CMD"; t1=$(now_ms)
echo "  second ssh: $((t1 - t0)) ms"
check "second ssh: the device prompt again, approved: a shell as carol (sshd: Accepted keyboard-interactive/pam)" \
	"[ $st = 0 ] && said '^PROMPTED ' && said '^hello-carol\$' && sshd_said 'Accepted keyboard-interactive/pam for carol from 127.0.0.1' && [ \"\$(count grant:urn:ietf:params:oauth:grant-type:device_code)\" = 2 ]"
check "  id: the derived uid, primary group users (100), linux-ops with its derived gid $OPSG" \
	"said '^uid=$CU(carol) gid=100(users) groups=100(users),$OPSG(linux-ops)\$'"
check "  not sudo: the provider group named like the local one is left out (and audited so)" \
	"grep -q '^uid=' '$T/ssh.txt' && ! grep '^uid=' '$T/ssh.txt' | grep -q sudo && ! id -nG carol | grep -qw sudo && ! getent group sudo | grep -qw carol && logged 'provider group sudo left out: sudo is a local group'"
check "  \$HOME is $T/home/carol, made by pam_mkhomedir from /etc/skel: owned by carol:users, mode 700" \
	"said '^home=$T/home/carol\$' && said '^owner=carol:users mode=700\$' && said '.bashrc' && [ \"\$(stat -c %u:%g '$T/home/carol')\" = $CU:100 ]"
check "  audited: account and session_open allow for carol" \
	"logged 'event=account result=allow reason=ok service=tg-usshd user=carol' && logged 'event=session_open result=allow reason=ok service=tg-usshd user=carol'"

# a second host: its own store and record directory (a namespace of its
# own, with a fresh /var/lib/tokengate-nss); the same uid without any
# coordination
# shellcheck disable=SC2016
unshare -m --propagation private sh -c '
	mount -t tmpfs -o mode=755 tg-nss2 /var/lib/tokengate-nss
	"$1" user add carol --sub carol --config "$2" >&2
	getent passwd carol' sh "$B/tokengatectl" "$T/tg2.conf" > "$T/host2.out" 2> "$T/host2.err" || true
h1=$(getent_pw carol | cut -d: -f3)
h2=$(cut -d: -f3 "$T/host2.out")
r="host 1: $h1, host 2: $(cat "$T/host2.out") $(cat "$T/host2.err")"
check "a second host (tokengatectl user add carol --sub carol, its own store and nss dir): the same uid, $CU" \
	"[ -n '$h2' ] && [ '$h2' = '$h1' ] && [ '$h2' = $CU ] && grep -q '\"carol\"' '$T/store2/users.json' && [ \"\$(getent_pw carol | cut -d: -f3)\" = $CU ]"

r=$("$B/tokengatectl" revoke carol --config "$T/tg.conf" 2>&1 || true)
check "tokengatectl revoke carol: her session purged, the record disabled (getent: /usr/sbin/nologin)" \
	"echo \"\$r\" | grep -q 'record disabled' && [ \"\$(getent_pw carol)\" = 'carol:x:$CU:100::$T/home/carol:/usr/sbin/nologin' ] && logged 'event=user result=disable'"
ssh_as carol "$CMD"
check "  the next ssh is refused (audited reason=revoked), no shell" \
	"[ $st != 0 ] && ! said '^hello-' && logged 'event=auth result=deny reason=revoked service=tg-usshd user=carol .*the record is disabled' && sshd_said 'Failed keyboard-interactive/pam for carol'"

stop_all
trap - EXIT
suite_end
