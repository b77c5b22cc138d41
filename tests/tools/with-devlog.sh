#!/bin/sh
# with-devlog.sh LOGFILE CMD [ARGS...]
# Runs CMD in a private mount namespace whose /dev/log is a test sink that
# appends every syslog record to LOGFILE. Nothing on the host changes.
# As root: unshare -m. Otherwise: unshare -rm (a user namespace), if allowed.
set -eu
log=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
sink=${LOGSINK:?LOGSINK must name the logsink program}

if [ "${TG_IN_NS:-}" != 1 ]; then
	if [ "$(id -u)" = 0 ]; then
		exec env TG_IN_NS=1 unshare -m sh "$0" "$log" "$@"
	fi
	exec env TG_IN_NS=1 unshare -rm sh "$0" "$log" "$@"
fi

# Inside the namespace: a new /dev that keeps every host node but owns log.
mount --make-rprivate /
hostdev=$(mktemp -d /tmp/tg-hostdev.XXXXXX)
mount --rbind /dev "$hostdev"
mount -t tmpfs -o mode=755 tokengate-dev /dev
for e in "$hostdev"/* "$hostdev"/.[!.]*; do
	[ -e "$e" ] || [ -L "$e" ] || continue
	n=$(basename "$e")
	[ "$n" = log ] && continue
	if [ -L "$e" ]; then
		cp -P "$e" "/dev/$n"
	elif [ -d "$e" ]; then
		mkdir "/dev/$n" && mount --rbind "$e" "/dev/$n"
	else
		touch "/dev/$n" && mount --bind "$e" "/dev/$n"
	fi
done
# every node is bound on its own now: the staging point can go (it is in
# the host's /tmp, and would stay behind empty)
{ umount -l "$hostdev" && rmdir "$hostdev"; } || true
"$sink" /dev/log "$log" > "$log.ready" &
sinkpid=$!
i=0
while ! grep -q ready "$log.ready" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "logsink did not start" >&2; exit 1; }
	sleep 0.05
done
set +e
"$@"
rc=$?
kill "$sinkpid" 2>/dev/null
wait "$sinkpid" 2>/dev/null
rm -f "$log.ready"
exit $rc
