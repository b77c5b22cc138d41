#!/bin/sh
# tests/tools/ctl_audit.sh - tokengatectl audit USER: the audit records of
# one person read back from a crafted log (both body formats, every kind of
# escape, forged fields inside values, other programs' lines, garbage, a
# cut value, a line too long), grouped by login (a record with a session
# but no login joined through its session id), the summary counts, --json
# read by python3, --since/--until on RFC 3339 lines, the journal through a
# stand-in journalctl, and the exit codes. No provider, no root. Run by
# tests/run.sh.
set -u
B=${B:-build}
ctl=$(cd "$B" && pwd)/tokengatectl
T=$(mktemp -d /tmp/tg-audit.XXXXXX)
[ -n "${TG_KEEP:-}" ] || trap 'rm -rf "$T"' EXIT
fails=0
n=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
no() { n=$((n + 1)); fails=$((fails + 1)); printf 'not ok %d - %s\n' "$n" "$1"
	for f in "$T/out" "$T/err"; do [ -s "$f" ] && sed 's/^/#   /' "$f" | head -40; done; }
run() { "$ctl" audit "$@" > "$T/out" 2> "$T/err"; rc=$?; }
# verdict NAME: the last python check's status ($py) as ok/no
verdict() { if [ "$py" = 0 ]; then ok "$1"; else no "$1"; fi; }

# The day, written as the writer writes (lib/audit.c); every record of
# alice's carries a marker mNN in its detail, and the table beside it
# (expect.json) says which login each belongs to. The log's own lines are
# the test's input, never the program's output.
python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
A = "aaaaaaaa-0000-4000-8000-000000000001"   # alice: device login via sshd
B = "bbbbbbbb-0000-4000-8000-000000000002"   # alice: password step-up via sudo (JSON bodies)
C = "cccccccc-0000-4000-8000-000000000003"   # a later PAM login on A's stored session
D = "dddddddd-0000-4000-8000-000000000004"   # a PAM session no login is known of
E = "eeeeeeee-0000-4000-8000-000000000005"   # bob
sink = "<86>Dec  2 %s tokengate[%d]: %s"
host = "Dec  2 %s host1 tokengate[%d]: %s"
iso = "2026-12-02T%s.000001+00:00 host1 tokengate[%d]: %s"
lines, alice = [], []
def rec(fmt, t, body, group=None, marker=None):
    lines.append(fmt % (t, 1000 + len(lines), body))
    if marker is not None:
        alice.append({"marker": marker, "group": group, "time": t})
def other(line):
    lines.append(line)
bad = []
def unreadable(fmt, t, body):   # a tokengate line no writer wrote
    bad.append(len(lines) + 1)
    rec(fmt, t, body)
cut = "m14 " + "y " * 98   # 200 bytes: a value cut here ends with "..."
assert len(cut) == 200
rec(sink, "08:00:01", "event=jwks_fetch result=ok reason=ok service=sshd user=- rhost=- detail=https://idp/jwks")
rec(host, "08:00:02", "event=auth result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 method=device iss=https://idp sub=alice kid=k1 alg=RS256 token=sha256:3f1a9c0d session=%s login=%s step=device issuer=corp session_token=access latency_ms=52.8 detail=\"m01 session started\"" % (A, A), A, "m01")
# bob's record: a quoted detail holding user=alice and alice's login is bob's
rec(host, "08:00:03", "event=auth result=allow reason=ok service=sshd user=bob rhost=192.0.2.8 method=password session=%s login=%s step=password detail=\"m90 user=alice login=%s result=allow\"" % (E, E, A))
rec(host, "08:00:04", "event=account result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 session=%s login=%s step=stored detail=\"m02 stored access token\"" % (A, A), A, "m02")
rec(sink, "08:00:05", "event=session_open result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 session=%s login=- step=stored detail=m03" % A, A, "m03")
rec(sink, "08:00:06", "event=session_open result=allow reason=ok service=sshd user=bob rhost=192.0.2.8 session=%s login=%s detail=m91" % (E, E))
# another program's line that holds a forged record after its own tag
other("Dec  2 08:00:07 host1 sshd[77]: Invalid user tokengate[1]: event=auth result=allow service=sshd user=alice session=%s login=%s detail=m92 from 198.51.100.1" % (A, A))
# JSON bodies, as with audit_format = json
rec(sink, "09:00:00", json.dumps({"event": "auth", "result": "deny", "reason": "not_authorized", "service": "sudo", "user": "alice", "rhost": "-", "method": "token", "session": B, "login": "-", "detail": "m04 a fresh login is needed"}), B, "m04")
rec(sink, "09:00:01", '{"event":"auth","result":"allow","reason":"ok","service":"sudo","user":"alice","rhost":"-","method":"password","session":"%s","login":"%s","step":"password","step_up":"yes","detail":"m05 \\u202e json \\" quote"}' % (B, B), B, "m05")
rec(sink, "09:30:00", json.dumps({"event": "refresh", "result": "ok", "reason": "ok", "service": "tokengatectl", "user": "alice", "rhost": "-", "session": "-", "login": B, "detail": "m06 refresh_token grant"}), B, "m06")
rec(host, "10:00:00", "event=refresh result=error reason=idp_unreachable service=tokengatectl user=alice rhost=- session=- login=%s detail=\"m07 network (timeout)\"" % B, B, "m07")
rec(host, "10:00:01", "event=auth result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 method=device session=%s login=%s step=stored detail=\"m08 stored access token\"" % (C, A), A, "m08")
rec(host, "10:00:02", "event=grace result=allow reason=idp_unreachable service=sshd user=alice rhost=192.0.2.7 session=%s login=%s detail=\"m09 offline access ends in 11h59m\"" % (C, A), A, "m09")
# a session, no login: joined to A through C's auth record above
rec(host, "10:00:03", "event=account result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 session=%s login=- step=grace grace_left_s=43197 detail=\"m10 offline\"" % C, A, "m10")
rec(host, "10:00:04", "event=auth result=deny reason=expired service=sshd user=alice rhost=- session=%s login=- detail=\"m11 bad \\xff byte \\x1b[31m and \\u2028 and \\t tab\"" % D, None, "m11")
# the module's own record (helper failed), under the application's tag
rec("Dec  2 %s host1 sshd[%d]: pam_tokengate(sshd:auth): %s", "10:00:05", "event=auth result=deny reason=internal service=sshd user=alice rhost=192.0.2.7 detail=\"m12 helper_died\" latency_ms=1.0", None, "m12")
# the module's other messages are no records, and not unreadable ones
other("Dec  2 10:00:06 host1 sshd[78]: pam_tokengate(sshd:auth): pam_putenv: delete non-existent entry; TOKENGATE_AUTH")
rec(host, "10:00:07", "event=auth result=allow reason=ok service=sshd user=\"ali ce\" rhost=- session=- login=- detail=\"m13 spaced\"")
rec(host, "10:00:08", "event=lockout result=lock reason=locked_out service=sshd user=alice rhost=192.0.2.9 session=- login=- detail=\"%s...\"" % cut, None, "m14")
rec(sink, "10:00:09", "event=store result=purge reason=revoked service=sshd user=alice rhost=- session=%s login=%s detail=\"m15 purged\"" % (C, A), A, "m15")
rec(sink, "10:00:10", json.dumps({"event": "session_close", "result": "revoked", "reason": "ok", "service": "sudo", "user": "alice", "rhost": "-", "session": B, "login": B, "detail": "m16 revoke_on_logout"}), B, "m16")
# unreadable: no body, a key twice (never read as alice's), a field ending
# in a space, a quote never closed, an unknown escape, a raw control byte
unreadable(host, "11:00:00", "not a record at all")
unreadable(host, "11:00:01", "event=auth result=allow user=bob user=alice detail=m93")
unreadable(host, "11:00:02", "event=auth result=allow user=alice detail=m94 ")
unreadable(host, "11:00:03", "event=auth result=allow user=alice detail=\"m95 open")
unreadable(host, "11:00:04", "event=auth result=allow user=alice detail=\"m96 \\q\"")
unreadable(host, "11:00:05", "event=auth result=allow user=alice detail=\"m97 \x01\"")
unreadable(sink, "11:00:06", '{"event":"auth","user":"alice","detail":"m98","result":1}')
unreadable(host, "11:00:07", "event=auth result=allow user=alice detail=m99 " + "z" * 70000)
other("garbage \xff\xfe with no shape")
other("")
# journalctl's short-precise and rsyslog's RFC 3339 prefixes
rec("Dec 02 %s.123456 host1 tokengate[%d]: %s", "12:00:00", "event=session_close result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 session=%s login=%s detail=m17" % (A, A), A, "m17")
rec(iso, "12:00:01", "event=session_close result=allow reason=ok service=sshd user=alice rhost=192.0.2.7 session=%s login=- detail=m18" % C, A, "m18")
with open(T + "/day.log", "w", encoding="utf-8", errors="surrogateescape") as f:
    for l in lines:
        f.write(l + "\n")
summary = {"records": len(alice), "logins": 2, "allow": 8, "deny": 3, "refresh": 2,
           "refresh_failed": 1, "grace": 1, "step_up": 1, "revoked": 2, "lockout": 1}
json.dump({"alice": alice, "summary": summary, "bad": bad, "A": A[:8], "B": B[:8]},
          open(T + "/expect.json", "w"))
PY

run alice --file "$T/day.log"
if [ $rc = 0 ]; then ok "alice's records: exit 0"; else no "alice's records: exit 0 (exit $rc)"; fi

# Which group each marked record was printed under, in order.
python3 - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
x = json.load(open(T + "/expect.json"))
def want(g):   # a login's header shows the first 8 characters of its id
    return g[:8] if g else "other"
seen, group, errs, headers = [], None, [], []
for line in open(T + "/out", encoding="utf-8", errors="surrogateescape"):
    m = re.match(r"^login (\S+) ", line)
    if m or line.startswith("other "):
        group = m.group(1) if m else "other"
        headers.append(group)
    elif line.startswith("  "):
        mk = re.search(r"\bm\d\d\b", line)
        if mk is None:
            errs.append("a record line without a marker: " + line.rstrip())
        else:
            seen.append((mk.group(0), group))
for r in x["alice"]:
    g = want(r["group"])
    if (r["marker"], g) not in seen:
        errs.append("%s not under %s" % (r["marker"], g))
if len(seen) != len(x["alice"]):
    errs.append("%d record lines, want %d" % (len(seen), len(x["alice"])))
order = {}
for m, g in seen:
    order.setdefault(g, []).append(m)
for g, ms in order.items():
    exp = [r["marker"] for r in x["alice"] if want(r["group"]) == g]
    if ms != exp:
        errs.append("group %s in order %s, want %s" % (g, ms, exp))
if headers != [x["A"], x["B"], "other"]:
    errs.append("groups %s, want login A, login B, other (first seen, other last)" % headers)
for e in errs:
    print("#   " + e)
sys.exit(1 if errs else 0)
PY
py=$?; verdict "grouped by login: A's own records, a later PAM login on A's stored session (its session joined to A through its auth), B's JSON records and refreshes, the rest under other; groups in first-seen order, records in input order"

if grep -q 'm9[0-9]' "$T/out"; then
	no "bob's record (a quoted detail holding user=alice and alice's login id), the forged line of another program, and the unreadable lines are not alice's"
else
	ok "bob's record (a quoted detail holding user=alice and alice's login id), the forged line of another program, and the unreadable lines are not alice's"
fi

python3 - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
x = json.load(open(T + "/expect.json"))["summary"]
lines = [l for l in open(T + "/out") if l.startswith("summary")]
got = dict(re.findall(r"(\w+)=(\d+)", lines[-1])) if lines else {}
bad = {k: (got.get(k), v) for k, v in x.items() if got.get(k) != str(v)}
if bad:
    print("#   got, want: %s" % bad)
sys.exit(1 if bad or len(lines) != 1 else 0)
PY
py=$?; verdict "the summary: records, logins, allowed and denied decisions, refreshes (failed), grace uses, step-ups, revocations (purge revoked, close revoked), lockouts"

if grep -q "^login $(python3 -c "import json;print(json.load(open('$T/expect.json'))['A'])")  Dec  2 08:00:02  device via sshd from 192.0.2.7$" "$T/out" &&
	grep -q "^login $(python3 -c "import json;print(json.load(open('$T/expect.json'))['B'])")  Dec  2 09:00:01  password via sudo (step-up)$" "$T/out"; then
	ok "a login's header: its allowed decision's time, method, service, remote host; step-up said"
else
	no "a login's header: its allowed decision's time, method, service, remote host; step-up said"
fi

if grep 'm11' "$T/out" | grep -qF '\xff byte \x1b[31m and \u2028 and \t tab' &&
	grep 'm05' "$T/out" | grep -qF '\u202e json " quote' &&
	! LC_ALL=C grep -q "$(printf '\033')" "$T/out" && ! grep -q "$(printf '\342\200\250')" "$T/out"; then
	ok "escapes decoded and shown escaped again: an invalid byte, ESC, U+2028, a tab, U+202E; no raw control reaches the terminal"
else
	no "escapes decoded and shown escaped again: an invalid byte, ESC, U+2028, a tab, U+202E; no raw control reaches the terminal"
fi

if grep 'm10' "$T/out" | grep -q 'grace  *grace_left=43197s' && grep 'm05' "$T/out" | grep -q 'password step_up'; then
	ok "a record's line shows step, step_up and grace_left_s where present"
else
	no "a record's line shows step, step_up and grace_left_s where present"
fi

nbad=$(python3 -c "import json;print(len(json.load(open('$T/expect.json'))['bad']))")
first=$(python3 -c "import json;print(json.load(open('$T/expect.json'))['bad'][0])")
if grep -q "$nbad tokengate lines skipped" "$T/err" && grep -q "line $first of" "$T/err"; then
	ok "unreadable tokengate lines skipped and counted on stderr (the first named), other programs' lines and blank lines not counted"
else
	no "unreadable tokengate lines skipped and counted on stderr (the first named), other programs' lines and blank lines not counted"
fi

run "ali ce" --file "$T/day.log"
if [ $rc = 0 ] && [ "$(grep -c '^  ' "$T/out")" = 1 ] && grep -q 'm13' "$T/out"; then
	ok "a quoted user value (\"ali ce\"): its one record, matched exactly"
else
	no "a quoted user value (\"ali ce\"): its one record, matched exactly (exit $rc)"
fi
run ali --file "$T/day.log"
if [ $rc = 1 ] && grep -q 'no records of user ali' "$T/err"; then
	ok "a user without records (ali: a prefix is no match): exit 1, said on stderr"
else
	no "a user without records (ali: a prefix is no match): exit 1, said on stderr (exit $rc)"
fi

run alice --json --file - < "$T/day.log"
python3 - "$T" "$rc" <<'PY'
import json, sys
T, rc = sys.argv[1], sys.argv[2]
x = json.load(open(T + "/expect.json"))
errs = []
try:
    d = json.load(open(T + "/out"))
except Exception as e:
    print("#   not JSON: %s" % e)
    sys.exit(1)
if rc != "0":
    errs.append("exit " + rc)
if not isinstance(d, list) or not all(isinstance(r, dict) for r in d):
    errs.append("not an array of objects")
    d = []
if any(not isinstance(v, str) for r in d for v in r.values()):
    errs.append("a value that is not a string")
marks = [r.get("detail", "")[:3] for r in d]
if marks != [a["marker"] for a in x["alice"]]:
    errs.append("records %s, want %s in input order" % (marks, [a["marker"] for a in x["alice"]]))
if any(r.get("user") != "alice" for r in d):
    errs.append("a record of another user")
by = {r.get("detail", "")[:3]: r for r in d}
if by.get("m05", {}).get("detail") != "m05 \u202e json \" quote" or by.get("m05", {}).get("step_up") != "yes":
    errs.append("m05 (JSON body, \\u escape, quote) read as %r" % by.get("m05"))
if by.get("m11", {}).get("detail") != "m11 bad \ufffd byte \x1b[31m and \u2028 and \t tab":
    errs.append("m11 (\\x escapes) read as %r" % by.get("m11", {}).get("detail"))
cut = by.get("m14", {}).get("detail", "")
if not (cut.endswith("...") and len(cut) == 203 and cut.startswith("m14 y y ")):
    errs.append("the cut value read as %r" % cut)
if [r.get("time") for r in d][:2] != ["Dec  2 08:00:02", "Dec  2 08:00:04"] or by.get("m18", {}).get("time") != "2026-12-02T12:00:01.000001+00:00" or by.get("m17", {}).get("time") != "Dec 02 12:00:00.123456":
    errs.append("times not as the lines wrote them: %s" % [r.get("time") for r in d])
if list(by.get("m01", {}).keys())[:3] != ["time", "event", "result"]:
    errs.append("time first, then the record's own order: %s" % list(by.get("m01", {}).keys()))
if by.get("m12", {}).get("event") != "auth" or by.get("m12", {}).get("reason") != "internal":
    errs.append("the module's own record is missing")
for e in errs:
    print("#   " + e)
sys.exit(1 if errs else 0)
PY
py=$?; verdict "--json (from stdin): alice's records only, in input order, every value a string, time first; escapes, the cut value and the JSON bodies read exactly"

run nobody --json --file "$T/day.log"
if [ $rc = 1 ] && [ "$(tr -d ' \n' < "$T/out")" = "[]" ]; then
	ok "--json without a match: [] and exit 1"
else
	no "--json without a match: [] and exit 1 (exit $rc)"
fi

# --since/--until: on RFC 3339 lines, to the second; never a guess on a
# line without a year.
{
	printf '2026-12-01T23:59:59.5+01:00 h tokengate[1]: event=auth result=allow reason=ok user=alice session=%s login=%s detail=m21\n' X1 X1
	printf '2026-12-02T08:00:00+01:00 h tokengate[2]: event=auth result=allow reason=ok user=alice session=%s login=%s detail=m22\n' X2 X2
	printf '2026-12-03T00:00:01Z h tokengate[3]: event=auth result=allow reason=ok user=alice session=%s login=%s detail=m23\n' X3 X3
} > "$T/iso.log"
run alice --file "$T/iso.log" --since 2026-12-02 --until '2026-12-02 23:59:59'
a=$(grep -o 'm2[0-9]' "$T/out" | tr '\n' ' ')
run alice --file "$T/iso.log" --since '2026-12-02T08:00'
b=$(grep -o 'm2[0-9]' "$T/out" | tr '\n' ' ')
run alice --file "$T/iso.log" --until 2026-12-02
c=$(grep -o 'm2[0-9]' "$T/out" | tr '\n' ' ')
if [ "$a" = "m22 " ] && [ "$b" = "m22 m23 " ] && [ "$c" = "m21 " ]; then
	ok "--since/--until on RFC 3339 lines, as written, to the second"
else
	no "--since/--until on RFC 3339 lines, as written, to the second (got '$a' '$b' '$c')"
fi
run alice --file "$T/iso.log" --since 2026-12-04
if [ $rc = 1 ]; then ok "  nothing in the window: exit 1"; else no "  nothing in the window: exit 1 (exit $rc)"; fi
run alice --file "$T/day.log" --since today
if [ $rc = 2 ] && grep -q 'has no year' "$T/err" && [ ! -s "$T/out" ]; then
	ok "--since on a log without years: exit 2, said why, nothing printed"
else
	no "--since on a log without years: exit 2, said why, nothing printed (exit $rc)"
fi

bad_usage() { # description args...
	d=$1; shift
	run "$@"
	if [ $rc = 2 ] && grep -q 'usage: tokengatectl audit\|want YYYY-MM-DD' "$T/err"; then ok "$d: exit 2"; else no "$d: exit 2 (exit $rc)"; fi
}
bad_usage "no user" --file "$T/day.log"
bad_usage "two users" alice bob --file "$T/day.log"
bad_usage "an unknown option" alice --frobnicate
bad_usage "--file without its value" alice --file
bad_usage "a malformed --since" alice --since 2026-13-01 --file "$T/iso.log"
bad_usage "--since 12/02/2026" alice --since 12/02/2026 --file "$T/iso.log"
bad_usage "--since after --until" alice --since 2026-12-03 --until 2026-12-02 --file "$T/iso.log"
run alice --file "$T/missing.log"
if [ $rc = 2 ] && grep -q "missing.log: No such file" "$T/err"; then ok "a missing file: exit 2, named"; else no "a missing file: exit 2, named (exit $rc)"; fi
run alice --file "$T"
if [ $rc = 2 ] && grep -q "Is a directory" "$T/err"; then ok "a directory: a read error, exit 2"; else no "a directory: a read error, exit 2 (exit $rc)"; fi

# The journal: journalctl -t tokengate -o json, run without a shell, here
# a stand-in on PATH that records its arguments and prints what a journal
# would (MESSAGE as a string, as an array of bytes, a JSON body).
mkdir -p "$T/bin" "$T/empty"
cat > "$T/bin/journalctl" <<SH
#!/bin/sh
for a in "\$@"; do printf '%s\n' "\$a"; done > "$T/jargs"
cat "$T/journal.json"
exit \$(cat "$T/jexit" 2>/dev/null || echo 0)
SH
chmod 755 "$T/bin/journalctl"
python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
us = 1796198193 * 1000000 + 250000   # 2026-12-02T07:56:33.25Z
body = "event=auth result=allow reason=ok service=sshd user=alice rhost=- session=J1 login=J1 detail=\"j1 \\u00e9t\\u00e9\""
rows = [
    {"__REALTIME_TIMESTAMP": str(us), "MESSAGE": body},
    {"__REALTIME_TIMESTAMP": str(us + 1000000), "MESSAGE": list(("event=account result=allow reason=ok service=sshd user=alice session=J1 login=- detail=j2").encode())},
    {"__REALTIME_TIMESTAMP": str(us + 2000000), "MESSAGE": json.dumps({"event": "session_open", "result": "allow", "user": "alice", "session": "J1", "login": "J1", "detail": "j3"})},
    {"__REALTIME_TIMESTAMP": str(us + 3000000), "MESSAGE": "event=auth user=bob detail=j9"},
    {"__REALTIME_TIMESTAMP": str(us + 4000000), "MESSAGE": "not a record"},
]
with open(T + "/journal.json", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
    f.write("{not json\n")
PY
PATH="$T/bin:$PATH" TZ=UTC "$ctl" audit alice --since '2026-12-02 07:00' --until 2026-12-03 --json > "$T/out" 2> "$T/err"
rc=$?
python3 - "$T" "$rc" <<'PY'
import json, sys
T, rc = sys.argv[1], sys.argv[2]
errs = []
args = open(T + "/jargs").read().split("\n")[:-1]
want = ["-t", "tokengate", "-o", "json", "--no-pager", "--output-fields=MESSAGE",
        "--since", "2026-12-02 07:00:00", "--until", "2026-12-03 00:00:00"]
if args != want:
    errs.append("journalctl %s, want %s" % (args, want))
try:
    d = json.load(open(T + "/out"))
except Exception as e:
    d = []
    errs.append("not JSON: %s" % e)
if rc != "0":
    errs.append("exit " + rc)
if [r.get("detail") for r in d] != ["j1 \u00e9t\u00e9", "j2", "j3"]:
    errs.append("records %s" % [r.get("detail") for r in d])
if [r.get("time") for r in d] != ["2026-12-02T07:56:33+00:00", "2026-12-02T07:56:34+00:00", "2026-12-02T07:56:35+00:00"]:
    errs.append("times %s" % [r.get("time") for r in d])
if "2 tokengate lines skipped" not in open(T + "/err").read():
    errs.append("the unreadable message and line not counted: " + open(T + "/err").read())
for e in errs:
    print("#   " + e)
sys.exit(1 if errs else 0)
PY
py=$?; verdict "the journal: journalctl -t tokengate -o json with --since/--until passed on; MESSAGE as a string, as bytes, a JSON body; the journal's time as RFC 3339"

PATH="$T/bin:$PATH" TZ=UTC "$ctl" audit alice > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && grep -q "^login J1  2026-12-02T07:56:33+00:00  - via sshd$" "$T/out" && [ "$(grep -c '^  ' "$T/out")" = 3 ]; then
	ok "  as text: one login, its three records (the byte-array one joined through its session)"
else
	no "  as text: one login, its three records (the byte-array one joined through its session) (exit $rc)"
fi

echo 1 > "$T/jexit"
PATH="$T/bin:$PATH" "$ctl" audit alice > "$T/out" 2> "$T/err"
rc=$?
if grep -q 'journalctl failed (exit status 1); reading /var/log/auth.log' "$T/err" && ! grep -q 'j1' "$T/out" && [ $rc != 0 ]; then
	ok "journalctl failing: said, what it printed is not used, /var/log/auth.log read instead"
else
	no "journalctl failing: said, what it printed is not used, /var/log/auth.log read instead (exit $rc)"
fi
PATH="$T/empty" "$ctl" audit alice > "$T/out" 2> "$T/err"
rc=$?
if grep -q 'journalctl cannot be run (No such file or directory); reading /var/log/auth.log' "$T/err"; then
	ok "no journalctl: said, /var/log/auth.log read instead"
else
	no "no journalctl: said, /var/log/auth.log read instead (exit $rc)"
fi

printf '%d checks, %d failed\n' "$n" "$fails"
[ "$fails" -eq 0 ]
