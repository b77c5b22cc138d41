#!/bin/sh
# tests/bench/nss_compare.sh - the measurement behind docs/USERS.md: the two
# ways of serving passwd/group records for people who exist only at the
# provider, on this machine, side by side:
#   userdb     systemd JSON drop-ins in /run/userdb read by libnss_systemd
#              (the default "passwd: files systemd"), without systemd-userdbd
#   userdbd    the same drop-ins with systemd-userdbd running (--userdbd)
#   tokengate  libnss_tokengate.so.2 (the shipped build) over
#              /var/lib/tokengate-nss/{passwd,group}, "files systemd tokengate"
#              (the documented line), and "files tokengate" (the module's own
#              share, without libnss_systemd's miss before it)
#   +nscd      tokengate through nscd (--nscd)
# For each, with 10 and 10,000 provisioned users: getpwnam, getpwuid,
# getgrnam, getgrgid, supplementary groups (id, initgroups), enumeration,
# and the cost of a lookup next to a plain /etc/passwd entry: in-process
# (bench_nss: getpwnam_r, getgrouplist) and whole processes (getent passwd
# NAME, id NAME; bench_ratio). Then the module in a chroot without its files.
#
#   sh tests/bench/nss_compare.sh [--userdbd] [--nscd] [--module-only] [--users "10 10000"]
#
# --module-only: only libnss_tokengate's rows (make bench runs that).
# NSS_RUNS (default 30) whole-process runs and NSS_CALLS (3000) calls per
# figure; a round of in-process calls stops at 100 ms, so the slow paths
# (libnss_systemd's supplementary groups at 10,000 users) stay bounded.
#
# Root only. Nothing on the host changes: everything runs in a private mount
# namespace (unshare -m) with a tmpfs over /run (the drop-ins, the userdbd
# and nscd sockets), copies of /etc/passwd, /etc/group and nsswitch.conf
# bind-mounted over the originals, and /var/lib replaced by a directory
# holding only tokengate-nss. systemd-userdbd and nscd are not installed:
# --userdbd / --nscd fetch their .deb with apt-get download (the versions
# matching the installed systemd and libc) and unpack it into the temporary
# directory (dpkg-deb -x); userdbd starts its workers from the compiled-in
# /lib/systemd/systemd-userwork, so a copy of /usr/lib/systemd with the two
# binaries added is bind-mounted over it inside the namespace.
set -eu
B=$(cd "${B:-build}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${NSS_RUNS:-30}
CALLS=${NSS_CALLS:-3000}

if [ "${TG_NSS_IN_NS:-}" != 1 ]; then
	USERS="10 10000" UDBD=0 NSCD=0 ONLY=0
	while [ $# -gt 0 ]; do
		case $1 in
		--userdbd) UDBD=1 ;;
		--nscd) NSCD=1 ;;
		--module-only) ONLY=1 ;;
		--users) USERS=$2; shift ;;
		*) echo "usage: $0 [--userdbd] [--nscd] [--module-only] [--users \"10 10000\"]" >&2; exit 2 ;;
		esac
		shift
	done
	[ "$(id -u)" = 0 ] || { echo "nss_compare: needs root (a private mount namespace)" >&2; exit 2; }
	make -s -C "$root" B="$B" "$B/libnss_tokengate.so.2" "$B/bench/bench_nss" "$B/bench/bench_ratio"
	T=$(mktemp -d /tmp/tg-nsscmp.XXXXXX)
	chmod 755 "$T"
	[ -n "${TG_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
	fetch() { # package version -> unpacked under $T/pkg/package
		mkdir -p "$T/pkg/$1"
		(cd "$T/pkg" && apt-get download -q "$1=$2" >/dev/null 2>&1) ||
			{ echo "nss_compare: apt-get download $1=$2 failed (apt-get update?)" >&2; exit 1; }
		dpkg-deb -x "$T/pkg/$1"_*.deb "$T/pkg/$1"
	}
	[ "$UDBD" = 0 ] || fetch systemd-userdbd "$(dpkg-query -W -f '${Version}' systemd)"
	[ "$NSCD" = 0 ] || fetch nscd "$(dpkg-query -W -f '${Version}' libc6)"
	# (dpkg's database is under the /var/lib hidden inside the namespace)
	VERSIONS="glibc $(dpkg-query -W -f '${Version}' libc6), systemd $(dpkg-query -W -f '${Version}' systemd)"
	unshare -m --propagation private env TG_NSS_IN_NS=1 T="$T" B="$B" USERS="$USERS" \
		UDBD="$UDBD" NSCD="$NSCD" ONLY="$ONLY" VERSIONS="$VERSIONS" sh "$0"
	exit
fi

# ---- inside the namespace ----
mount -t tmpfs tmpfs /run
mkdir -p /run/nscd /run/userdb.off
mkdir -p "$T/varlib/tokengate-nss" "$T/lib" "$T/etc"
DB=$T/varlib/tokengate-nss
chmod 755 "$T/varlib" "$DB"
mount --bind "$T/varlib" /var/lib
cp "$B/libnss_tokengate.so.2" "$T/lib/"
# the module is found by name (libnss_tokengate.so.2) through this path;
# every configuration measured runs with it, the baseline too
export LD_LIBRARY_PATH="$T/lib"
# the plain /etc/passwd entry the lookups are compared with, at the end of
# the host's own files, with one supplementary group
{ cat /etc/passwd; echo "tgplain:x:69999:69999::/nonexistent:/usr/sbin/nologin"; } > "$T/etc/passwd"
{ cat /etc/group; echo "tgplain:x:69999:"; echo "tgplaingrp:x:69998:tgplain"; } > "$T/etc/group"
mount --bind "$T/etc/passwd" /etc/passwd
mount --bind "$T/etc/group" /etc/group
: > "$T/etc/nsswitch.conf"
mount --bind "$T/etc/nsswitch.conf" /etc/nsswitch.conf
nsswitch() { printf 'passwd: %s\ngroup: %s\nshadow: files\n' "$1" "$1" > /etc/nsswitch.conf; }

# provision N: tgu00001..N (uid = gid = 200000 + i, own primary group), all
# in tgdevs (299000), the last also in tgops (299001); the same people as
# lines of $DB/passwd and $DB/group, and as drop-ins in /run/userdb.off
# (NAME.user + UID.user symlink, NAME.group + GID.group, and a non-empty
# USER:GROUP.membership per membership: an empty one is read as a mask).
provision() {
	rm -rf /run/userdb.off /run/userdb
	mkdir /run/userdb.off
	python3 - "$1" "$DB" /run/userdb.off "$ONLY" <<'PY'
import json, os, sys
n, db, ud, only = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4] == "1"
names = ["tgu%05d" % i for i in range(1, n + 1)]
def put(path, text):
    if only and path.startswith(ud):
        return
    with open(path, "w") as f:
        f.write(text)
pw, gr = [], []
for i, u in enumerate(names, 1):
    uid = 200000 + i
    pw.append("%s:x:%d:%d:%s:/home/%s:/bin/sh\n" % (u, uid, uid, u, u))
    gr.append("%s:x:%d:\n" % (u, uid))
    put("%s/%s.user" % (ud, u), json.dumps({"userName": u, "uid": uid, "gid": uid,
        "realName": u, "homeDirectory": "/home/" + u, "shell": "/bin/sh",
        "disposition": "regular"}) + "\n")
    if not only:
        os.symlink(u + ".user", "%s/%d.user" % (ud, uid))
    put("%s/%s.group" % (ud, u), json.dumps({"groupName": u, "gid": uid}) + "\n")
    if not only:
        os.symlink(u + ".group", "%s/%d.group" % (ud, uid))
    put("%s/%s:tgdevs.membership" % (ud, u), "{}\n")
for g, gid, mem in (("tgdevs", 299000, names), ("tgops", 299001, names[-1:])):
    gr.append("%s:x:%d:%s\n" % (g, gid, ",".join(mem)))
    put("%s/%s.group" % (ud, g), json.dumps({"groupName": g, "gid": gid, "members": mem}) + "\n")
    if not only:
        os.symlink(g + ".group", "%s/%d.group" % (ud, gid))
put("%s/%s:tgops.membership" % (ud, names[-1]), "{}\n")
put(db + "/passwd", "".join(pw))
put(db + "/group", "".join(gr))
PY
	chmod 644 "$DB/passwd" "$DB/group"
	LAST=$(printf 'tgu%05d' "$1")
	LASTUID=$((200000 + $1))
}

yn() { if "$@" >/dev/null 2>&1; then printf 'yes'; else printf 'NO'; fi; }
has() { getent "$1" "$2" | grep -q "^$3:"; }
groups_ok() { id -Gn "$LAST" | tr ' ' '\n' | grep -qx tgdevs && id -Gn "$LAST" | tr ' ' '\n' | grep -qx tgops; }
# one row: what works
functions() { # label N
	printf '| %-16s | %6s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" \
		"$(yn has passwd "$LAST" "$LAST")" "$(yn has passwd "$LASTUID" "$LAST")" \
		"$(yn has group tgdevs tgdevs)" "$(yn has group 299000 tgdevs)" "$(yn groups_ok)" \
		"$(getent passwd | grep -c '^tgu' || true)/$2" "$(getent group | grep -c '^tg[uod]' || true)/$(($2 + 2))"
}
# what it costs, next to the plain entry under the same nsswitch.conf
costs() { # label N
	printf '%s, %s users (last provisioned user %s against tgplain in /etc/passwd):\n' "$1" "$2" "$LAST"
	"$B/bench/bench_nss" "$CALLS" tgplain "$LAST" || true
	"$B/bench/bench_ratio" "$RUNS" /dev/null 0 "getent passwd tgplain" "getent passwd $LAST" -- \
		getent passwd tgplain -- getent passwd "$LAST" | sed 's/^/  /' || true
	"$B/bench/bench_ratio" "$RUNS" /dev/null 0 "id tgplain" "id $LAST" -- \
		id tgplain -- id "$LAST" | sed 's/^/  /' || true
}

start_userdbd() {
	mkdir -p "$T/sd"
	cp -a /usr/lib/systemd/. "$T/sd/"
	cp "$T/pkg/systemd-userdbd/lib/systemd/systemd-userdbd" \
		"$T/pkg/systemd-userdbd/lib/systemd/systemd-userwork" "$T/sd/"
	mount --bind "$T/sd" /usr/lib/systemd
	/usr/lib/systemd/systemd-userdbd > "$T/userdbd.log" 2>&1 &
	UDBD_PID=$!
	i=0
	while [ ! -S /run/systemd/userdb/io.systemd.Multiplexer ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	[ -S /run/systemd/userdb/io.systemd.Multiplexer ]
}
stop_userdbd() {
	kill "$UDBD_PID" 2>/dev/null || true
	wait "$UDBD_PID" 2>/dev/null || true
	rm -rf /run/systemd/userdb
	umount /usr/lib/systemd
}
start_nscd() {
	cat > "$T/nscd.conf" <<'CONF'
	enable-cache passwd yes
	positive-time-to-live passwd 600
	negative-time-to-live passwd 20
	check-files passwd yes
	persistent passwd no
	shared passwd yes
	enable-cache group yes
	positive-time-to-live group 3600
	negative-time-to-live group 60
	check-files group yes
	persistent group no
	shared group yes
	enable-cache hosts no
	enable-cache services no
	enable-cache netgroup no
CONF
	"$T/pkg/nscd/usr/sbin/nscd" -f "$T/nscd.conf" -F > "$T/nscd.log" 2>&1 &
	NSCD_PID=$!
	i=0
	while [ ! -S /run/nscd/socket ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -S /run/nscd/socket ]
}

echo "nss_compare: Linux $(uname -r), $VERSIONS, $(nproc) CPUs"
echo
echo "| configuration    | users  | getpwnam | getpwuid | getgrnam | getgrgid | id: supplementary | getent passwd | getent group |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $USERS; do
	provision "$n"
	mv /run/userdb.off /run/userdb
	nsswitch "files systemd"
	: > "$T/rows.$n"
	: > "$T/costs.$n"
	if [ "$ONLY" = 0 ]; then
		functions "userdb" "$n" >> "$T/rows.$n"
		costs "userdb" "$n" >> "$T/costs.$n"
	fi
	if [ "$UDBD" = 1 ] && [ "$ONLY" = 0 ]; then
		if start_userdbd; then
			functions "userdb + userdbd" "$n" >> "$T/rows.$n"
			costs "userdb + userdbd" "$n" >> "$T/costs.$n"
		else
			echo "| userdb + userdbd | $n | (systemd-userdbd did not start: $(tail -1 "$T/userdbd.log")) |" >> "$T/rows.$n"
		fi
		stop_userdbd
	fi
	mv /run/userdb /run/userdb.off
	nsswitch "files systemd tokengate"
	functions "tokengate" "$n" >> "$T/rows.$n"
	costs "tokengate" "$n" >> "$T/costs.$n"
	# the module's own share: without libnss_systemd's miss before it
	nsswitch "files tokengate"
	functions "files tokengate" "$n" >> "$T/rows.$n"
	costs "files tokengate" "$n" >> "$T/costs.$n"
	nsswitch "files systemd tokengate"
	if [ "$NSCD" = 1 ]; then
		if start_nscd; then
			functions "tokengate + nscd" "$n" >> "$T/rows.$n"
			costs "tokengate + nscd" "$n" >> "$T/costs.$n"
			# the cache answers after the record is gone, until invalidated
			grep -v "^$LAST:" "$DB/passwd" > "$DB/passwd.new" && mv "$DB/passwd.new" "$DB/passwd"
			printf '  nscd: %s removed from the file: still answered %s; after nscd -i passwd: %s\n' "$LAST" \
				"$(yn has passwd "$LAST" "$LAST")" \
				"$("$T/pkg/nscd/usr/sbin/nscd" -i passwd >/dev/null 2>&1; yn has passwd "$LAST" "$LAST")" \
				>> "$T/costs.$n"
		else
			echo "| tokengate + nscd | $n | (nscd did not start: $(tail -1 "$T/nscd.log")) |" >> "$T/rows.$n"
		fi
		kill "$NSCD_PID" 2>/dev/null || true
		wait "$NSCD_PID" 2>/dev/null || true
		rm -f /run/nscd/socket
	fi
	cat "$T/rows.$n"
done
echo
for n in $USERS; do cat "$T/costs.$n"; echo; done

# ---- a chroot with the shipped module and without its files ----
C=$T/chroot
mkdir -p "$C/etc" "$C/usr/bin" "$C/var/lib" "$C/lib/x86_64-linux-gnu"
for p in /usr/bin/getent /usr/bin/id; do
	cp "$p" "$C/usr/bin/"
	ldd "$p" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r l; do
		mkdir -p "$C$(dirname "$l")" && cp -L "$l" "$C$l"
	done
done
cp "$B/libnss_tokengate.so.2" "$C/lib/x86_64-linux-gnu/"
printf 'root:x:0:0:root:/root:/bin/sh\ntgplain:x:69999:69999::/nonexistent:/bin/sh\n' > "$C/etc/passwd"
printf 'root:x:0:\ntgplain:x:69999:\n' > "$C/etc/group"
printf 'passwd: files tokengate\ngroup: files tokengate\n' > "$C/etc/nsswitch.conf"
ch() { env -u LD_LIBRARY_PATH chroot "$C" "$@"; }
rcof() { if "$@" >/dev/null 2>&1; then echo 0; else echo $?; fi; }
echo "chroot, module present, /var/lib/tokengate-nss absent:"
printf '  getent passwd tgplain: exit %s; getent passwd %s: exit %s (2 = not found); getent passwd: exit %s, %s lines; id tgplain: exit %s\n' \
	"$(rcof ch getent passwd tgplain)" "$LAST" "$(rcof ch getent passwd "$LAST")" \
	"$(rcof ch getent passwd)" "$(ch getent passwd | wc -l)" "$(rcof ch id tgplain)"
mkdir -p "$C/var/lib/tokengate-nss"
cp "$DB/passwd" "$DB/group" "$C/var/lib/tokengate-nss/"
printf '  with the files copied in: getent passwd tgu00001: exit %s; id -Gn tgu00001: %s\n' \
	"$(rcof ch getent passwd tgu00001)" "$(ch id -Gn tgu00001 2>&1)"
chmod g+w "$C/var/lib/tokengate-nss/passwd"
printf '  passwd made group-writable: getent passwd tgu00001: exit %s\n' "$(rcof ch getent passwd tgu00001)"
