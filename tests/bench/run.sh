#!/bin/sh
# make bench - figures, not pass/fail: verification throughput per alg next
# to raw OpenSSL, pam_authenticate latency through libpam + helper, and the
# two warm-path ratios (verify / raw EVP_DigestVerify per alg, whole token
# login / pam_permit), each measured side by side in this run, and the NSS
# module's lookups next to a plain /etc/passwd entry.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/tg-bench.XXXXXX)
S="" # the tmpfs twin of $T, below
trap 'rm -rf "$T" ${S:+"$S"}' EXIT
"$B/bench/bench_verify" "${BENCH_SECONDS:-1}"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/r.pem" 2>/dev/null
"$B/tokengatectl" jwks --key "$T/r.pem" --kid r1 > "$T/keys.jwks"
chmod 600 "$T/keys.jwks"
cat > "$T/tokengate.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache

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
printf 'tokengate-helper links %s shared objects; libcurl, libcrypt, libqrencode are not among them (loaded when needed): %s\n' \
	"$(ldd "$B/tokengate-helper" | wc -l)" \
	"$(ldd "$B/tokengate-helper" | grep -q -e curl -e "libcrypt\.so" -e qrencode && echo NO || echo yes)"

# ---- the warm path against its floor: whole processes, side by side ----
# pamtester with pam_permit against pamtester with a token login (the same
# token, keys from the jwks_file), runs alternating. Then what the helper's
# start costs next to /bin/true, and what the store write costs: the same
# login with store_dir and cache_dir on tmpfs, where an fsync is free.
if command -v pamtester >/dev/null 2>&1; then
	printf 'auth required pam_permit.so\n' > "$T/svc/permit"
	if [ -d /dev/shm ] && S=$(mktemp -d /dev/shm/tg-bench.XXXXXX 2>/dev/null); then
		sed -e "s#^store_dir = .*#store_dir = $S/store#" \
			-e "s#^cache_dir = .*#cache_dir = $S/cache#" "$T/tokengate.conf" > "$T/shm.conf"
		chmod 600 "$T/shm.conf"
		printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/shm.conf" > "$T/svc/shm"
	fi
	n=${BENCH_PROCS:-200}
	cat > "$T/ratios.sh" <<RATIOS
set -u
export LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc"
"$B/bench/bench_ratio" $n "$T/tok" 1.5 "pam_permit" "token login" -- \
	pamtester permit "$user" authenticate -- pamtester bench "$user" authenticate
unset LD_PRELOAD
"$B/bench/bench_ratio" -x $n /dev/null 0 "/bin/true" "tokengate-helper start" -- \
	/bin/true -- "$B/test/tokengate-helper"
[ -n "$S" ] || { echo "(store write cost skipped: no /dev/shm)"; exit 0; }
export LD_PRELOAD=libpam_wrapper.so
"$B/bench/bench_ratio" $n "$T/tok" 0 "token login, store on tmpfs" "token login, store on disk" -- \
	pamtester shm "$user" authenticate -- pamtester bench "$user" authenticate
RATIOS
	echo "(whole processes: pamtester, the module, the helper exec; medians of $n runs each)"
	if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
		LOGSINK=$B/tests/logsink sh "$here/tools/with-devlog.sh" "$T/audit.log" sh "$T/ratios.sh" || true
	else
		sh "$T/ratios.sh" || true
	fi
else
	echo "(token login / pam_permit skipped: no pamtester)"
fi

# ---- NSS: libnss_tokengate next to a plain /etc/passwd entry ----
# getent passwd NAME and id NAME (whole processes) and getpwnam_r /
# getgrouplist (in process) for the last of 10 and of 10,000 provisioned
# users, side by side with an entry of /etc/passwd, through the real libc
# in a private mount namespace (root); tests/bench/nss_compare.sh has the
# libnss_systemd rows too, and docs/USERS.md the figures.
if [ "$(id -u)" = 0 ]; then
	echo "(NSS: libnss_tokengate, shipped build, over /var/lib/tokengate-nss in a private namespace)"
	NSS_RUNS=${BENCH_NSS_RUNS:-30} NSS_CALLS=${BENCH_NSS_CALLS:-3000} B="$B" \
		timeout 300 sh "$here/bench/nss_compare.sh" --module-only || echo "(NSS figures: nss_compare failed)"
else
	echo "(NSS figures skipped: the private namespace with a bind-mounted nsswitch.conf needs root)"
fi

# ---- the identity backend: a real provider, and the fault proxy ----
if ! command -v node >/dev/null 2>&1 || { [ "$(id -u)" != 0 ] && ! unshare -rm true 2>/dev/null; }; then
	echo "(identity backend figures skipped: needs node and root or user namespaces)"
	exit 0
fi
[ -d "$here/idp/node_modules/oidc-provider" ] || (cd "$here/idp" && npm ci --no-audit --no-fund >/dev/null 2>&1)
TG_IDP_DIR=$here/idp
. "$here/idp/lib.sh"
start_behind_proxy "$T/f"
trap 'kill $PROXY_PID $IDP_PID 2>/dev/null; rm -rf "$T" ${S:+"$S"}' EXIT
proxy_conf "$T/idp.conf" "$T/cache" 5m
printf 'auth required %s config=%s\n' "$B/test/pam_tokengate.so" "$T/idp.conf" > "$T/svc/idp"
"$B/tokengatectl" mint --key "$T/f/k1.pem" --kid k1 --iss "$PURL" --aud linux-hosts \
	--sub s --user "$user" --ttl 3600 > "$T/itok"
ibench() { # n label
	LOGSINK=$B/tests/logsink sh "$here/tools/with-devlog.sh" "$T/audit.log" \
		env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" "$B/bench/bench_pam" idp "$user" "$T/itok" "$1" "$2" || true
}
echo pass > "$T/f/mode"
ibench 1 "(a) first login: discovery + JWKS fetch through the proxy" > /dev/null
echo 0 > "$T/f/proxy-count"
ibench 1000 "(a) warm: discovered keys from the on-disk cache"
printf '  provider requests during those 1000 warm logins: %s\n' "$(cat "$T/f/proxy-count")"
echo hang > "$T/f/mode"
rm -rf "$T/cache"
ibench 1 "(c) first failure against a provider that accepts and never answers (http_timeout 2s)"
echo 503 > "$T/f/mode"
ibench 3 "    (opening the circuit: 503s)" > /dev/null
echo 0 > "$T/f/proxy-count"
ibench 200 "(b) provider down, circuit open, no usable keys: fail fast"
printf '  provider requests while the circuit was open: %s\n' "$(cat "$T/f/proxy-count")"

# ---- sessions: acct_mgmt through the chain (nss_wrapper gives alice a uid) ----
echo pass > "$T/f/mode"
UP=$(cat "$T/f/upstream")
printf 'alice:x:5001:5001::/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:5001:\n' > "$T/group"
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
cat > "$T/sess.conf" <<CONF
[global]
store_dir = $T/sstore
cache_dir = $T/scache
methods = password
http_connect_timeout = 1s
http_timeout = 2s

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret

[service s_due]
refresh_ahead = 15m
CONF
chmod 600 "$T/sess.conf"
for s in s s_due s_grace; do
	a=""; [ "$s" = s_grace ] && a="clock=+7200"
	printf 'auth required %s config=%s\naccount required %s config=%s require_session %s\n' \
		"$B/test/pam_tokengate.so" "$T/sess.conf" "$B/test/pam_tokengate.so" "$T/sess.conf" "$a" > "$T/svc/$s"
done
sbench() { # service n label
	LOGSINK=$B/tests/logsink sh "$here/tools/with-devlog.sh" "$T/audit.log" \
		env BENCH_OP=acct LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 \
		PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" \
		NSS_WRAPPER_GROUP="$T/group" "$B/bench/bench_pam" "$1" alice "$T/tok" "$2" "$3" 2>/dev/null || true
}
spam() { # service op [answer]
	printf '%s\n' "${3:-}" | env LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		pamtester "$1" alice "$2" 2>&1 | tail -1
}
grants() { curl -s "$UP/test/stats" | python3 -c "import json,sys; print(json.load(sys.stdin).get('grant:refresh_token',0))"; }
spam s authenticate alice-password > /dev/null
sbench s 300 "acct_mgmt, fresh session (stored access token, no provider request)"
curl -s -X POST "$UP/test/reset" >/dev/null
sbench s_due 100 "acct_mgmt, refresh due (one refresh_token grant per call)"
printf '  refresh grants seen by the provider: %s\n' "$(grants)"
echo reset > "$T/f/mode"
sbench s_grace 100 "acct_mgmt, provider down, inside the offline grace window"
echo pass > "$T/f/mode"
curl -s -X POST "$UP/test/ttl?at=30" >/dev/null
spam s authenticate alice-password > /dev/null
curl -s -X POST "$UP/test/ttl?at=600" >/dev/null
curl -s -X POST "$UP/test/reset" >/dev/null
start=$(date +%s%N)
env LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 \
	PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	"$B/tests/pamdrive" --service s --user alice --parallel 50 --quiet acct > "$T/c.out" 2>&1 || true
end=$(date +%s%N)
printf '50 concurrent acct_mgmt with a refresh due: %s succeeded in %s ms; refresh grants seen by the provider: %s\n' \
	"$(grep -c 'acct=PAM_SUCCESS' "$T/c.out")" "$(( (end - start) / 1000000 ))" "$(grants)"
