# tests/tools/suite.sh - sourced by the shell suites once B (the build
# directory) and here (the suite's own directory, one below tests/) are set:
# the private /dev/log namespace they run in, and the check helpers.

# private_log_ns PREFIX [MODE]: outside the namespace, makes T (chmod MODE
# when given; removed at exit unless TG_KEEP is set), runs "$0" again inside
# tests/tools/with-devlog.sh with every syslog record appended to
# $T/audit.log, and exits with its status. Inside, it returns at once.
private_log_ns() {
	[ "${TG_IN_NS:-}" != 1 ] || return 0
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	[ -z "${2:-}" ] || chmod "$2" "$T"
	[ -n "${TG_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
	: > "$T/audit.log"
	LOGSINK=$B/tests/logsink sh "$here/../tools/with-devlog.sh" "$T/audit.log" \
		env TG_IN_NS=1 T="$T" B="$B" sh "$0"
	exit
}

# nss_users NAME:UID ...: $T/passwd and $T/group for nss_wrapper (the
# users exist only for the programs run with NSS_WRAPPER_PASSWD/GROUP)
nss_users() {
	: > "$T/passwd"
	: > "$T/group"
	for _u in "$@"; do
		printf '%s:x:%s:%s:%s:/nonexistent:/bin/sh\n' "${_u%%:*}" "${_u#*:}" "${_u#*:}" "${_u%%:*}" >> "$T/passwd"
		printf '%s:x:%s:\n' "${_u%%:*}" "${_u#*:}" >> "$T/group"
	done
}

# PAM through pam_wrapper for the users of nss_users, with the test build
# of the module and $T/tg.conf. service NAME [module args...] writes a
# service with auth, account (require_session) and session lines.
service() {
	mkdir -p "$T/svc"
	_s=$1; shift
	_m=$B/test/pam_tokengate.so
	{
		printf 'auth required %s config=%s %s\n' "$_m" "$T/tg.conf" "$*"
		printf 'account required %s config=%s require_session %s\n' "$_m" "$T/tg.conf" "$*"
		printf 'session required %s config=%s %s\n' "$_m" "$T/tg.conf" "$*"
	} > "$T/svc/$_s"
}
# the wrappers' environment for a command
wrapped() {
	env LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" "$@"
}
pam() { # service user op [answer] -> pamtester's last line; output in ${OUT:-$T/out}
	printf '%s\n' "${4:-}" | wrapped pamtester -v "$1" "$2" "$3" > "${OUT:-$T/out}" 2>&1 || true
	tail -1 "${OUT:-$T/out}"
}
succeeded() { echo "$r" | grep -q -e 'successfully' -e 'management done'; }
# The whole auth -> account -> session sequence through libpamtest:
# pamseq SERVICE USER ANSWER > file; PAMSEQ_HOOK runs at each prompt.
seq_run() { wrapped "$B/tests/pamseq" "$@"; }
# tokengatectl with the test users and config
ctl() { env LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	"$B/tokengatectl" "$@" --config "${CTL_CONF:-$T/tg.conf}" 2>&1; }
# store UID KEY: a member of the user's session file
store() { python3 -c "import json,sys; d=json.load(open('$T/store/$1')); print(d.get('$2',''))"; }

fail=0 n=0
ok() { n=$((n + 1)); printf '  ok   %s\n' "$1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); printf '  FAIL %s\n' "$1"; }
# check NAME CONDITION: CONDITION is eval'ed; on failure $r is shown
check() { if eval "$2"; then ok "$1"; else bad "$1"; echo "       last result: ${r:-}"; fi; }
# settle: every record sent to /dev/log so far is in $T/audit.log. The sink
# reads one datagram queue in order, so a marker sent now comes out after
# every earlier record: a bounded poll (5 s) for the marker, no fixed wait.
# (The module reaps its helper before it returns, so a PAM call's records
# are all sent when it returns.) A suite whose records come from processes
# still running after the call returns (e2e: sshd's children) sets
# LOG_SETTLE, a wait before the marker.
settle() {
	[ -z "${LOG_SETTLE:-}" ] || sleep "$LOG_SETTLE"
	_mk="tg-settle-$$-$(date +%s%N)"
	logger -u /dev/log -t tg-settle -- "$_mk" 2>/dev/null || { sleep 0.1; return 0; }
	_si=0
	while ! grep -a -q -F -- "$_mk" "$T/audit.log"; do
		_si=$((_si + 1))
		[ "$_si" -le 250 ] || { echo "  (settle: the log sink did not write $_mk in 5 s)" >&2; return 0; }
		sleep 0.02
	done
}
# logged PATTERN: at once when the record is there; otherwise after settle
# (so that "! logged" is only true once every record so far is written)
logged() { grep -a -q -- "$1" "$T/audit.log" || { settle; grep -a -q -- "$1" "$T/audit.log"; }; }
logcount() { settle; grep -a -c -- "$1" "$T/audit.log" || true; }
now_ms() { date +%s%3N; }
# the closing count; the suite's status
suite_end() {
	echo "  $n checks, $fail failed"
	[ "$fail" -eq 0 ]
}
