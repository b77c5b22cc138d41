#!/bin/sh
# tests/fuzz/run.sh TARGET... - runs each libFuzzer target for a bounded
# time (FUZZ_SECONDS, default 60) from its seed corpus; any crash fails.
set -eu
B=${B:-build}
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/tg-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
for t in "$@"; do
	mkdir -p "$work/$t"
	[ -d "$here/corpus/$t" ] && cp "$here/corpus/$t"/* "$work/$t/" 2>/dev/null || true
	printf '  %-8s ' "$t"
	if ! "$B/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=20000 -artifact_prefix="$work/" "$work/$t" > "$work/$t.log" 2>&1; then
		echo "CRASH"
		tail -40 "$work/$t.log"
		exit 1
	fi
	grep -Eo 'Done [0-9]+ runs' "$work/$t.log" | tail -1
done
