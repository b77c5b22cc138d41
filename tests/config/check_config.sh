#!/bin/sh
# tests/config/check_config.sh - tokengatectl check-config: a good file is
# "FILE: ok" (exit 0); a file with problems lists every one of them as
# FILE:LINE: message (exit 1) where a load stops at the first; a missing
# file or a bad command line is exit 2. Run by tests/run.sh.
set -u
B=${B:-build}
ctl=$B/tokengatectl
T=$(mktemp -d /tmp/tg-checkconf.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
fails=0
n=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
no() { n=$((n + 1)); fails=$((fails + 1)); printf 'not ok %d - %s\n' "$n" "$1"; [ -f "$T/out" ] && sed 's/^/#   /' "$T/out"; }
check() { # description command...: runs it, output in $T/out, status in $rc
	d=$1; shift
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
}

cat > "$T/good.conf" <<'CONF'
# every kind of section, and keys valid in several of them
[global]
methods = token, password
offline_grace = 12h
qr = no

[issuer corp]
issuer = https://idp.example.com/realms/corp
audience = linux-hosts
client_id = linux-hosts
groups_claim = realm_access.roles
allowed_groups = admins devs

[service sudo]
methods = password
offline_grace = 1h
allowed_groups = admins
CONF
# two different problems: a misspelt key (line 5), an unknown section (line 7)
cat > "$T/bad.conf" <<'CONF'
[issuer corp]
issuer = https://idp.example.com/realms/corp
audience = linux-hosts
# the typo that must never allow everyone
alowed_groups = admins

[servce sudo]
allowed_groups = admins
CONF
chmod 600 "$T/good.conf" "$T/bad.conf"

check good "$ctl" check-config --config "$T/good.conf"
if [ $rc = 0 ] && [ "$(cat "$T/out")" = "$T/good.conf: ok" ]; then
	ok "a good file: exit 0, '$T/good.conf: ok'"
else
	no "a good file: exit 0 and 'FILE: ok' (exit $rc)"
fi

check bad "$ctl" check-config --config "$T/bad.conf"
if [ $rc = 1 ]; then ok "a file with two problems: exit 1"; else no "a file with two problems: exit 1 (exit $rc)"; fi
if grep -qxF "$T/bad.conf:5: unknown key 'alowed_groups' in [issuer corp] (did you mean allowed_groups?)" "$T/out"; then
	ok "the misspelt key, with its line: bad.conf:5"
else
	no "the misspelt key, with its line: bad.conf:5"
fi
if grep -q "^$T/bad.conf:7: unknown section \[servce sudo\]" "$T/out"; then
	ok "the unknown section, with its line: bad.conf:7"
else
	no "the unknown section, with its line: bad.conf:7"
fi
if [ "$(wc -l < "$T/out")" -eq 2 ]; then ok "exactly those two lines"; else no "exactly those two lines"; fi

# What the helper does with the same file: refuse it at the first problem.
check load "$ctl" validate --config "$T/bad.conf" --issuer corp x.y.z
if [ $rc = 2 ] && grep -qF "$T/bad.conf:5: unknown key 'alowed_groups'" "$T/err"; then
	ok "a load refuses the same file at its first problem (exit 2, file:line)"
else
	no "a load refuses the same file at its first problem (exit $rc: $(cat "$T/err"))"
fi

# A file the helper refuses for its mode is a problem too, and still read.
cp "$T/bad.conf" "$T/open.conf"
chmod 620 "$T/open.conf"
check mode "$ctl" check-config --config "$T/open.conf"
if [ $rc = 1 ] && grep -qx "$T/open.conf: writable by group or others" "$T/out" &&
   [ "$(wc -l < "$T/out")" -eq 3 ]; then
	ok "a group-writable file: that problem plus the two in its lines"
else
	no "a group-writable file: that problem plus the two in its lines (exit $rc)"
fi

check missing "$ctl" check-config --config "$T/missing.conf"
if [ $rc = 2 ] && grep -q 'missing.conf: No such file' "$T/err"; then
	ok "--config with a missing file: exit 2"
else
	no "--config with a missing file: exit 2 (exit $rc)"
fi
# the compiled-in default (/etc/security/tokengate.conf), when it is absent
if [ ! -e /etc/security/tokengate.conf ]; then
	check default "$ctl" check-config
	if [ $rc = 2 ] && grep -q 'No such file' "$T/err"; then
		ok "plain check-config with no file at the default path: exit 2"
	else
		no "plain check-config with no file at the default path: exit 2 (exit $rc)"
	fi
else
	ok "# skip plain check-config: /etc/security/tokengate.conf exists here"
fi
check usage "$ctl" check-config --verbose
if [ $rc = 2 ] && grep -q '^usage: tokengatectl check-config' "$T/err"; then
	ok "an unknown option: usage, exit 2"
else
	no "an unknown option: usage, exit 2 (exit $rc)"
fi

# issuer = NAME in a service: an [issuer NAME] of this file (a typo fails
# closed), one with a client_id when the service logs in by password
cat > "$T/issuers.conf" <<'CONF'
[issuer corp]
issuer = https://idp.example.com/realms/corp
audience = linux-hosts
client_id = linux-hosts

[issuer tokens]
issuer = https://tokens.example.com
audience = linux-hosts

[service sshd]
issuer = nosuch

[service sudo]
methods = password
issuer = tokens

[service login]
issuer = corp
CONF
chmod 600 "$T/issuers.conf"
check issuers "$ctl" check-config --config "$T/issuers.conf"
if [ $rc = 1 ] && grep -qxF "$T/issuers.conf:11: issuer nosuch in [service sshd]: no [issuer nosuch] section" "$T/out" &&
   grep -qF "$T/issuers.conf:15: [service sudo] uses [issuer tokens] for password or device logins, but it has no client_id" "$T/out" &&
   [ "$(wc -l < "$T/out")" = 2 ]; then
	ok "issuer = nosuch and an issuer without client_id for a password service: refused with their lines"
else
	no "issuer = nosuch and an issuer without client_id for a password service: refused with their lines (exit $rc)"
fi

# The username mapping: the three keys are known; a map file is read and
# checked with the config (its line named), and an unsafe one is a problem.
printf '# claim value  local name\nAlice@Corp.Example alice\n' > "$T/users.map"
chmod 644 "$T/users.map"
umconf() { # FILE MAP
	cat > "$1" <<CONF
[issuer corp]
issuer = https://idp.example.com/realms/corp
audience = linux-hosts
username_strip_domains = corp.example, eng.corp.example
username_lowercase = yes
username_map = $2
CONF
	chmod 600 "$1"
}
umconf "$T/um.conf" "$T/users.map"
check um "$ctl" check-config --config "$T/um.conf"
if [ $rc = 0 ]; then ok "username_strip_domains, username_lowercase, username_map: ok"; else no "the username mapping keys: ok (exit $rc)"; fi
printf 'Alice@Corp.Example alice\nbob\n' > "$T/bad.map"
chmod 644 "$T/bad.map"
umconf "$T/um_bad.conf" "$T/bad.map"
check um_bad "$ctl" check-config --config "$T/um_bad.conf"
if [ $rc = 1 ] && grep -qF "$T/um_bad.conf:6: username_map $T/bad.map:2: expected 'claim-value local-name'" "$T/out"; then
	ok "a malformed map line: a problem naming the config line and the map's line"
else
	no "a malformed map line: a problem naming the config line and the map's line (exit $rc)"
fi
chmod 664 "$T/users.map"
check um_open "$ctl" check-config --config "$T/um.conf"
if [ $rc = 1 ] && grep -qF "$T/um.conf:6: username_map $T/users.map: writable by group or others" "$T/out"; then
	ok "a group-writable map file: a problem"
else
	no "a group-writable map file: a problem (exit $rc)"
fi
chmod 644 "$T/users.map"
ln -s "$T/users.map" "$T/link.map"
umconf "$T/um_link.conf" "$T/link.map"
check um_link "$ctl" check-config --config "$T/um_link.conf"
if [ $rc = 1 ] && grep -qF "$T/um_link.conf:6: username_map $T/link.map" "$T/out"; then
	ok "a map file that is a symbolic link: a problem"
else
	no "a map file that is a symbolic link: a problem (exit $rc)"
fi
check um_load "$ctl" validate --config "$T/um_link.conf" --issuer corp x.y.z
if [ $rc = 2 ] && grep -qF "username_map $T/link.map" "$T/err"; then
	ok "a load refuses a config whose map file is unsafe (exit 2)"
else
	no "a load refuses a config whose map file is unsafe (exit $rc: $(cat "$T/err"))"
fi

# validate --explain shows the mapping step in its user line.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem" 2>/dev/null
"$ctl" jwks --key "$T/k.pem" --kid k1 > "$T/k.jwks" && chmod 600 "$T/k.jwks"
printf '[issuer t]\nissuer = https://idp.test\njwks_file = %s\naudience = linux-hosts\nusername_strip_domains = corp.example\nusername_lowercase = yes\n' "$T/k.jwks" > "$T/ex.conf"
chmod 600 "$T/ex.conf"
tok=$("$ctl" mint --key "$T/k.pem" --kid k1 --alg ES256 --iss https://idp.test --aud linux-hosts --sub s1 --user Alice@Corp.Example)
check explain "$ctl" validate --config "$T/ex.conf" --explain --user alice "$tok"
if [ $rc = 0 ] && grep -qF 'user       preferred_username "Alice@Corp.Example" -> "alice" (strip domain, lowercase) equals the login name' "$T/out"; then
	ok "validate --explain: the user line shows the mapping (Alice@Corp.Example -> alice)"
else
	no "validate --explain: the user line shows the mapping (exit $rc)"
fi
tok=$("$ctl" mint --key "$T/k.pem" --kid k1 --alg ES256 --iss https://idp.test --aud linux-hosts --sub s1 --user alice@evil.example)
check explain2 "$ctl" validate --config "$T/ex.conf" --explain --user alice "$tok"
if [ $rc != 0 ] && grep -q 'FAIL   user .*alice@evil.example.*not in username_strip_domains' "$T/out"; then
	ok "validate --explain: an unlisted domain fails the user line, saying why"
else
	no "validate --explain: an unlisted domain fails the user line, saying why (exit $rc)"
fi

# The shipped example must stay valid.
cp conf/tokengate.conf "$T/shipped.conf" && chmod 600 "$T/shipped.conf"
check shipped "$ctl" check-config --config "$T/shipped.conf"
if [ $rc = 0 ]; then ok "conf/tokengate.conf: ok"; else no "conf/tokengate.conf: ok (exit $rc)"; fi

printf '%d checks, %d failed\n' "$n" "$fails"
[ "$fails" -eq 0 ]
