#!/bin/sh
# make bench - figures, not pass/fail: verification throughput per alg next
# to raw OpenSSL, and pam_authenticate latency through libpam + helper.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/tg-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$B/bench/bench_verify" "${BENCH_SECONDS:-1}"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/r.pem" 2>/dev/null
"$B/tokengatectl" jwks --key "$T/r.pem" --kid r1 > "$T/keys.jwks"
chmod 600 "$T/keys.jwks"
cat > "$T/tokengate.conf" <<CONF
[issuer bench]
issuer = https://idp.bench
jwks_file = $T/keys.jwks
audience = hosts
CONF
chmod 600 "$T/tokengate.conf"
user=$(id -un)
"$B/tokengatectl" mint --key "$T/r.pem" --kid r1 --iss https://idp.bench --aud hosts \
	--sub s --user "$user" --ttl 3600 > "$T/tok"
mkdir "$T/svc"
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/tokengate.conf" > "$T/svc/bench"
pam_bench() {
	env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" "$B/bench/bench_pam" bench "$user" "$T/tok" \
		"${BENCH_LOGINS:-500}"
}
: > "$T/audit.log"
echo "(RS256 token, keys from a static jwks_file: the warm path)"
if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	LOGSINK=$B/tests/logsink sh "$here/tools/with-devlog.sh" "$T/audit.log" \
		env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" "$B/bench/bench_pam" bench "$user" "$T/tok" \
		"${BENCH_LOGINS:-500}"
	sleep 0.2
	printf '  audit records written to the private /dev/log: %s\n' \
		"$(grep -c 'event=auth result=allow' "$T/audit.log")"
else
	pam_bench
fi
printf 'tokengate-helper links %s shared objects; libcurl is not among them: %s\n' \
	"$(ldd "$B/tokengate-helper" | wc -l)" \
	"$(ldd "$B/tokengate-helper" | grep -q curl && echo NO || echo yes)"
