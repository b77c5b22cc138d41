#!/bin/sh
# tests/nss/run.sh - libnss_tokengate.so.2: the test build through
# nss_wrapper (NSS_WRAPPER_MODULE_SO_PATH: getent and id as any program
# sees it), the NSS contract called directly (nsscheck: ERANGE, threads,
# initgroups_dyn, a missing directory), the files it refuses, and the
# shipped build's symbols. Root, or a user namespace where the suite's
# files are root's (unshare -r); the check of a file owned by another user
# needs real root.
set -u
B=$(cd "${B:-build}" && pwd)
if [ "$(id -u)" != 0 ] && [ "${TG_NSS_USERNS:-}" != 1 ]; then
	exec unshare -r env TG_NSS_USERNS=1 B="$B" sh "$0"
fi
T=$(mktemp -d /tmp/tg-nss.XXXXXX)
chmod 755 "$T"
[ -n "${TG_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fail=0 n=0
ok() { n=$((n + 1)); printf '  ok   %s\n' "$1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); printf '  FAIL %s\n' "$1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; echo "       last result: ${r:-}"; fi; }

MOD=$B/test/libnss_tokengate.so.2
D=$T/db
mkdir -m 755 "$D"
: > "$T/passwd"
: > "$T/group"
# the wrapped lookups: nss_wrapper's own files are empty, so every answer
# is the module's; every command is bounded in time
w() {
	timeout 10 env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" NSS_WRAPPER_MODULE_SO_PATH="$MOD" \
		NSS_WRAPPER_MODULE_FN_PREFIX=tokengate TG_NSS_DIR="${DIR:-$D}" "$@" 2>&1
}
rc() { w "$@" >/dev/null; echo $?; }

cat > "$D/passwd" <<'EOF'
alice:x:70001:70001:Alice Example:/home/alice:/bin/bash
root:x:0:0:root:/root:/bin/bash
toor:x:0:70009:uid 0 by another name:/root:/bin/sh
-dash:x:70003:70003::/home/dash:/bin/sh
+compat:x:70004:70004::/home/compat:/bin/sh
12345:x:70005:70005::/home/num:/bin/sh
hashed:$y$j9T$abc$def:70006:70006::/home/hashed:/bin/sh
nopass::70007:70007::/home/nopass:/bin/sh
gid0:x:70008:0::/home/gid0:/bin/sh
relhome:x:70010:70010::home/relhome:/bin/sh
short:x:70011:70011
baduid:x:7o012:70012::/home/baduid:/bin/sh
bob:x:70002:70002::/home/bob:/bin/sh
EOF
cat > "$D/group" <<'EOF'
alice:x:70001:
bob:x:70002:
devs:x:71000:alice,bob
ops:*:71001:bob
root:x:0:alice
wheel0:x:0:bob
badmember:x:71002:alice,-evil
grouppass:secret:71003:alice
EOF
chmod 644 "$D/passwd" "$D/group"

echo "lookups through nss_wrapper (getent, id):"
r=$(w getent passwd alice)
check "getpwnam alice: the whole record" '[ "$r" = "alice:x:70001:70001:Alice Example:/home/alice:/bin/bash" ]'
r=$(w getent passwd 70002)
check "getpwuid 70002: bob" '[ "$r" = "bob:x:70002:70002::/home/bob:/bin/sh" ]'
r=$(w getent group devs)
check "getgrnam devs: members alice,bob" '[ "$r" = "devs:x:71000:alice,bob" ]'
r=$(w getent group 71001)
check "getgrgid 71001: ops" '[ "$r" = "ops:*:71001:bob" ]'
r=$(w id bob)
check "id bob: primary and both supplementary groups" \
	'[ "$r" = "uid=70002(bob) gid=70002(bob) groups=70002(bob),71000(devs),71001(ops)" ]'
r=$(w id alice)
check "id alice: devs only (not root's group, not a group with a bad member or a password)" \
	'[ "$r" = "uid=70001(alice) gid=70001(alice) groups=70001(alice),71000(devs)" ]'
r=$(w getent passwd | cut -d: -f1 | tr '\n' ' ')
check "enumeration (getent passwd): alice and bob, nothing else" '[ "$r" = "alice bob " ]'
r=$(w getent group | cut -d: -f1 | tr '\n' ' ')
check "enumeration (getent group): the four valid groups" '[ "$r" = "alice bob devs ops " ]'

echo "never answered:"
for q in root 0 toor -dash +compat 12345 70005 hashed nopass gid0 relhome short 70012; do
	r=$(w getent passwd -- "$q")
	check "getent passwd $q: not found" '[ -z "$r" ]'
done
for q in root 0 wheel0 badmember grouppass 71003; do
	r=$(w getent group -- "$q")
	check "getent group $q: not found" '[ -z "$r" ]'
done
r=$(rc getent passwd nosuch)
check "unknown name: getent exit 2 (not found)" '[ "$r" = 2 ]'

echo "files the module refuses (each then answers nothing):"
refused() { # label: alice must not be found, and must be again once restored
	r=$(w getent passwd alice)
	check "$1: alice not served" '[ -z "$r" ]'
}
restored() {
	r=$(w getent passwd alice | cut -d: -f1)
	check "  ... restored: alice served again" '[ "$r" = alice ]'
}
chmod 664 "$D/passwd"; refused "passwd group-writable (0664)"
chmod 646 "$D/passwd"; refused "passwd other-writable (0646)"
chmod 644 "$D/passwd"; restored
chmod 775 "$D"; refused "directory group-writable (0775)"
chmod 755 "$D"; restored
if [ "${TG_NSS_USERNS:-}" != 1 ]; then
	chown 65534 "$D/passwd"; refused "passwd owned by uid 65534"
	chown 0 "$D/passwd"; restored
	chown 65534 "$D"; refused "directory owned by uid 65534"
	chown 0 "$D"; restored
else
	echo "  (owner checks need real root: skipped in the user namespace)"
fi
mv "$D/passwd" "$T/passwd.real"
ln -s "$T/passwd.real" "$D/passwd"; refused "passwd a symlink (O_NOFOLLOW)"
rm "$D/passwd"
mkfifo "$D/passwd"
s=$(date +%s%N)
refused "passwd a FIFO"
e=$(date +%s%N)
check "  ... and the lookup did not wait on it (under 2 s)" '[ $(( (e - s) / 1000000 )) -lt 2000 ]'
rm "$D/passwd"
mkdir -m 755 "$D/passwd"; refused "passwd a directory"
rmdir "$D/passwd"
refused "passwd missing"
r=$(rc getent passwd); check "  ... enumeration still ends cleanly (exit 0)" '[ "$r" = 0 ]'
r=$(w id bob)
check "  ... id bob: no such user, no crash" 'echo "$r" | grep -q "no such user"'
mv "$T/passwd.real" "$D/passwd"; restored
ln -s "$D" "$T/db-link"
DIR=$T/db-link refused "directory a symlink (O_NOFOLLOW)"
DIR=$T/nonexistent refused "directory missing"
r=$(DIR=relative/dir w getent passwd alice)
check "TG_NSS_DIR relative: ignored (the compiled-in directory, absent here)" '[ -z "$r" ]'

echo "the NSS contract, called directly (nsscheck):"
mkdir -m 755 "$T/c"
if TG_NSS_DIR=$T/c timeout 60 "$B/tests/nsscheck" "$MOD" > "$T/nsscheck.out" 2>&1; then
	ok "nsscheck: $(tail -1 "$T/nsscheck.out" | sed 's/^ *nsscheck: //')"
else
	bad "nsscheck"
fi
grep -v 'nsscheck:' "$T/nsscheck.out" | sed 's/^/    /'

echo "the shipped build:"
SHIP=$B/libnss_tokengate.so.2
r=$(nm -D --defined-only "$SHIP" | awk '{print $3}' | grep -v '^_nss_tokengate_' | tr '\n' ' ')
check "exports only _nss_tokengate_*" '[ -z "$r" ]'
r=$(nm -D --defined-only "$SHIP" | grep -c ' T _nss_tokengate_')
check "all 11 entry points exported" '[ "$r" = 11 ]'
r=$(nm -D --undefined-only "$SHIP" | grep -E -e 'getenv' -e 'syslog' -e 'socket' -e 'connect' | tr '\n' ' ')
check "no getenv, secure_getenv, syslog, socket or connect" '[ -z "$r" ]'
r=$(nm -D --undefined-only "$MOD" | grep -c 'getenv')
check "  (the test build does import getenv: the check above can see it)" '[ "$r" -ge 1 ]'
r=$(strings "$SHIP" | grep -c '^/var/lib/tokengate-nss$')
check "the directory compiled in: /var/lib/tokengate-nss" '[ "$r" = 1 ]'
r=$(readelf -d "$SHIP" | grep -c 'NEEDED' ; readelf -d "$SHIP" | grep NEEDED | grep -v -c 'libc.so.6')
check "links libc only" '[ "$r" = "1
0" ]'
r=$(readelf -d "$SHIP" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
check "soname libnss_tokengate.so.2" '[ "$r" = libnss_tokengate.so.2 ]'
if [ ! -e /var/lib/tokengate-nss ]; then
	r=$(timeout 10 env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" NSS_WRAPPER_MODULE_SO_PATH="$SHIP" \
		NSS_WRAPPER_MODULE_FN_PREFIX=tokengate TG_NSS_DIR="$D" getent passwd alice)
	check "the shipped build ignores TG_NSS_DIR" '[ -z "$r" ]'
fi

echo "  $n checks, $fail failed"
[ "$fail" -eq 0 ]
