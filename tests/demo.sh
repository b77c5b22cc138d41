#!/bin/sh
# make demo - the whole story on this machine, nothing installed, nothing on
# the host changed: a throw-away issuer key, a token for you, a login
# through the real libpam (pamtester + pam_wrapper), the audit record, and
# three tokens that must be refused.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

if [ "${TG_IN_NS:-}" != 1 ]; then
	T=$(mktemp -d /tmp/tg-demo.XXXXXX)
	trap 'rm -rf "$T"' EXIT
	: > "$T/audit.log"
	if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
		LOGSINK=$B/tests/logsink sh "$here/tools/with-devlog.sh" "$T/audit.log" \
			env TG_DEMO_DIR="$T" TG_IN_NS=1 B="$B" sh "$0"
	else
		echo "(no root and no user namespaces: audit records go to this host's syslog)"
		env TG_DEMO_DIR="$T" TG_IN_NS=1 B="$B" sh "$0"
	fi
	exit
fi

T=$TG_DEMO_DIR
ctl=$B/tokengatectl
user=$(id -un)
title() { printf '\n\033[1m%s\033[0m\n' "$*"; }
cmd() { printf '  \033[2m$ %s\033[0m\n' "$*"; }

# One login through libpam; prints what the user saw and the audit record.
login() {
	before=$(wc -l < "$T/audit.log")
	cmd "pamtester tokengate-demo $user authenticate acct_mgmt   # token on stdin"
	if printf '%s\n' "$1" | env LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 \
		PAM_WRAPPER_USE_SYSLOG=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
		pamtester tokengate-demo "$user" authenticate acct_mgmt > "$T/out" 2>&1; then
		result="\033[32mLOGGED IN\033[0m"
	else
		result="\033[31mREFUSED\033[0m"
	fi
	sed -e 's/^/    /' -e 's/\r//g' "$T/out"
	printf "  => $result\n"
	i=0
	while [ "$(wc -l < "$T/audit.log")" -le "$before" ] && [ $i -lt 50 ]; do
		sleep 0.05; i=$((i + 1))
	done
	sleep 0.1
	printf '  audit (syslog, LOG_AUTHPRIV, ident tokengate):\n'
	tail -n +$((before + 1)) "$T/audit.log" | grep -a -e 'event=auth' -e 'event=account' \
		| sed -e 's/^<[0-9]*>//' -e 's/^/    /'
}

title "1. A throw-away issuer: an RSA key and its public key set"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/issuer.pem" 2>/dev/null
openssl pkey -in "$T/issuer.pem" -pubout -out "$T/issuer.pub" 2>/dev/null
cmd "tokengatectl jwks --key issuer.pem --kid demo-1 > issuer.jwks"
"$ctl" jwks --key "$T/issuer.pem" --kid demo-1 > "$T/issuer.jwks"
chmod 600 "$T/issuer.jwks"
cat > "$T/tokengate.conf" <<CONF
[global]
methods = token
store_dir = $T/store
cache_dir = $T/cache

[issuer demo]
issuer = https://idp.demo.test
jwks_file = $T/issuer.jwks
audience = demo-hosts
CONF
chmod 600 "$T/tokengate.conf"
mkdir "$T/pam.d"
printf 'auth    required %s config=%s\naccount required %s config=%s\n' \
	"$B/test/pam_tokengate.so" "$T/tokengate.conf" \
	"$B/test/pam_tokengate.so" "$T/tokengate.conf" > "$T/pam.d/tokengate-demo"
echo "  tokengate.conf:"
sed 's/^/    /' "$T/tokengate.conf"
echo "  PAM service tokengate-demo (private, through pam_wrapper):"
sed 's/^/    /' "$T/pam.d/tokengate-demo"

mint() {
	"$ctl" mint --key "$T/issuer.pem" --kid demo-1 --iss https://idp.demo.test \
		--aud demo-hosts --sub "sub-$user" "$@"
}

title "2. A token for $user, and a login through the real libpam"
cmd "tokengatectl mint --key issuer.pem --kid demo-1 --iss https://idp.demo.test --aud demo-hosts --sub sub-$user --user $user --ttl 600"
tok=$(mint --user "$user" --ttl 600)
printf '    %.64s... (%d bytes)\n' "$tok" "${#tok}"
login "$tok"

title "3. An expired token"
cmd "tokengatectl mint ... --ttl -3600"
login "$(mint --user "$user" --ttl -3600)"

title "4. A forged token: HS256 keyed with the issuer's PUBLIC key (made by libjwt)"
now=$(date +%s)
forged=$("$B/tests/libjwt-sign" HS256 "$T/issuer.pub" demo-1 \
	"{\"iss\":\"https://idp.demo.test\",\"aud\":\"demo-hosts\",\"sub\":\"sub-$user\",\"preferred_username\":\"$user\",\"exp\":$((now + 600))}")
login "$forged"

title "5. A valid token for somebody else"
cmd "tokengatectl mint ... --sub sub-mallory --user mallory"
login "$("$ctl" mint --key "$T/issuer.pem" --kid demo-1 --iss https://idp.demo.test \
	--aud demo-hosts --sub sub-mallory --user mallory)"

title "6. Why, check by check"
cmd "tokengatectl validate --config tokengate.conf --user $user --explain <expired token>"
"$ctl" validate --config "$T/tokengate.conf" --user "$user" --explain \
	"$(mint --user "$user" --ttl -3600)" 2>&1 | sed 's/^/  /' || true
printf '\nDone. Nothing was installed; the temporary issuer is gone.\n'
