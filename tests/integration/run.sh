#!/bin/sh
# Integration tests: pam_tokengate.so (test build) through the real libpam
# with pam_wrapper, the real helper, and a private /dev/log sink.
set -eu
B=${B:-build}
B=$(cd "$B" && pwd)
ctl=$B/tokengatectl
T=$(mktemp -d /tmp/tg-integ.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/k1.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/evil.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/short.pem" 2>/dev/null
openssl pkey -in "$T/k1.pem" -pubout -out "$T/k1.pub" 2>/dev/null
# The issuer's key set: k1, plus a 1024-bit key the key policy must skip.
python3 - "$ctl" "$T" <<'PY'
import json, subprocess, sys
ctl, t = sys.argv[1], sys.argv[2]
keys = []
for pem, kid in (("k1.pem", "k1"), ("short.pem", "short")):
    out = subprocess.run([ctl, "jwks", "--key", f"{t}/{pem}", "--kid", kid],
                         check=True, capture_output=True).stdout
    keys += json.loads(out)["keys"]
json.dump({"keys": keys}, open(f"{t}/issuer.jwks", "w"))
PY
chmod 600 "$T/issuer.jwks"

ISS=https://idp.test
mint() { "$ctl" mint --key "$T/k1.pem" --kid k1 --iss $ISS --aud linux-hosts --sub sub-alice --user alice "$@"; }
mint --claim 'groups=["devs"]' > "$T/good.jwt"
mint --claim 'groups=["admins"]' > "$T/admin.jwt"
mint --ttl -3600 > "$T/expired.jwt"
mint --claim nbf=$(( $(date +%s) + 3600 )) > "$T/future.jwt"
"$ctl" mint --key "$T/k1.pem" --kid k1 --iss $ISS --aud linux-hosts --sub sub-bob --user bob > "$T/for_bob.jwt"
"$ctl" mint --key "$T/evil.pem" --kid k1 --iss $ISS --aud linux-hosts --sub sub-alice --user alice > "$T/bad_signature.jwt"
"$ctl" mint --key "$T/evil.pem" --kid k9 --iss $ISS --aud linux-hosts --sub sub-alice --user alice > "$T/unknown_kid.jwt"
"$ctl" mint --key "$T/short.pem" --kid short --iss $ISS --aud linux-hosts --sub sub-alice --user alice > "$T/short_key.jwt"
mint --iss https://evil.test > "$T/wrong_issuer.jwt" 2>/dev/null || \
  "$ctl" mint --key "$T/k1.pem" --kid k1 --iss https://evil.test --aud linux-hosts --sub s --user alice > "$T/wrong_issuer.jwt"
"$ctl" mint --key "$T/k1.pem" --kid k1 --iss $ISS --aud other --sub sub-alice --user alice > "$T/wrong_audience.jwt"
"$ctl" mint --key "$T/k1.pem" --kid k1 --iss $ISS --aud linux-client --sub sub-alice --user alice --typ JWT > "$T/id_token.jwt"
now=$(date +%s)
"$B/tests/libjwt-sign" HS256 "$T/k1.pub" k1 \
  "{\"iss\":\"$ISS\",\"aud\":\"linux-hosts\",\"sub\":\"sub-alice\",\"preferred_username\":\"alice\",\"exp\":$((now + 300))}" > "$T/forged_hs256.jwt"
printf '%s' "$(printf '{"alg":"none","typ":"at+jwt"}' | basenc --base64url | tr -d '=\n').$(printf '{"iss":"%s","aud":"linux-hosts","sub":"s","preferred_username":"alice","exp":%s}' $ISS $((now + 300)) | basenc --base64url | tr -d '=\n').AAAA" > "$T/alg_none.jwt"
printf 'hello world' > "$T/garbage.jwt"
printf '\b\n\r\177INCORRECT' > "$T/openssh_junk.jwt"
pad=$(head -c 1700 /dev/zero | tr '\0' p)
mint --claim "pad=$pad" > "$T/long.jwt"
# A token of exactly 1023 bytes (the OpenSSH client's limit).
n=100
while [ $n -lt 900 ]; do
	p=$(head -c $n /dev/zero | tr '\0' q)
	mint --claim "pad=$p" > "$T/exact1023.jwt"
	[ "$(tr -d '\n' < "$T/exact1023.jwt" | wc -c)" -eq 1023 ] && break
	n=$((n + 1))
done

cat > "$T/tokengate.conf" <<CONF
[global]
methods = token
store_dir = $T/store
cache_dir = $T/cache
# these tests present many bad tokens on purpose
lockout_attempts = 1000000

[issuer test]
issuer = $ISS
jwks_file = $T/issuer.jwks
audience = linux-hosts
client_id = linux-client
groups_claim = groups

[service tg_admins]
allowed_groups = admins
CONF
cat > "$T/broken.conf" <<CONF
[global]
methods = token
# the next line is wrong
leeway = soon
CONF
chmod 600 "$T/tokengate.conf" "$T/broken.conf"

svc=$T/services
mkdir "$svc"
mod=$B/test/pam_tokengate.so
pw=$(pkg-config --variable=modules pam_wrapper)
sec=$(pkg-config --variable=libdir pam)/security
args="config=$T/tokengate.conf"
printf 'auth required %s %s\naccount required %s %s\n' "$mod" "$args" "$mod" "$args" > "$svc/tg"
cp "$svc/tg" "$svc/tg_admins"
printf 'auth required %s\nauth required %s %s use_first_pass\n' "$pw/pam_set_items.so" "$mod" "$args" > "$svc/tg_first"
printf 'auth required %s\nauth required %s %s try_first_pass\n' "$pw/pam_set_items.so" "$mod" "$args" > "$svc/tg_try"
printf 'auth required %s %s kind=id\n' "$mod" "$args" > "$svc/tg_id"
for f in crash hang garbage badversion silent exit1 liar; do
	printf 'auth required %s %s helper=%s timeout=1\n' "$mod" "$args" "$B/tests/fake-helper-$f" > "$svc/tg_$f"
done
printf 'auth required %s %s helper=/nonexistent/tokengate-helper\n' "$mod" "$args" > "$svc/tg_missing"
printf 'auth required %s config=%s\n' "$mod" "$T/broken.conf" > "$svc/tg_badconf"
printf 'auth required %s config=%s\n' "$mod" "$T/missing.conf" > "$svc/tg_noconf"
printf 'auth sufficient %s %s\nauth required %s/pam_deny.so\naccount sufficient %s %s\naccount required %s/pam_deny.so\n' \
	"$mod" "$args" "$sec" "$mod" "$args" "$sec" > "$svc/tg_then_deny"
printf 'auth required %s %s\nauth required %s/pam_permit.so\naccount required %s %s\naccount required %s/pam_permit.so\n' \
	"$mod" "$args" "$sec" "$mod" "$args" "$sec" > "$svc/tg_then_permit"
# setcred runs the auth stack's modules
printf 'auth required %s/pam_deny.so\n' "$sec" > "$svc/other"

# The users this suite knows, whatever the host has: alice and bob have
# no local account here (token logins for names without one, and the
# stages tokengate leaves alone), so a host user alice changes nothing.
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$T/passwd"
printf 'root:x:0:\n' > "$T/group"
: > "$T/audit.log"; trap '[ -n "${TG_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
LOGSINK=$B/tests/logsink sh "$(dirname "$0")/../tools/with-devlog.sh" "$T/audit.log" \
	env TG_TEST_DIR="$T" TG_LOG="$T/audit.log" LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" \
	NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
	PAM_WRAPPER_SERVICE_DIR="$svc" "$B/tests/test_pam"
