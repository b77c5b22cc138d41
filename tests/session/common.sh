# tests/session/common.sh - sourced by the suites in tests/session: a real
# OpenID provider (oidc-provider behind the fault proxy, on 127.0.0.1), a
# private /dev/log sink, users alice (5001) and bob (5002) from nss_wrapper,
# the configuration and PAM services, and the helpers the checks use.
# The sourcing script is re-run inside the namespace ("$0").
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-sess
. "$TG_IDP_DIR/lib.sh"

suite_provider "$T/f"
stop_all() { suite_provider_stop; }
errors() { stats | python3 -c "import json,sys; print(sum(v for k,v in json.load(sys.stdin).items() if k.startswith('grant_error:')))"; }

# Users: nss_wrapper gives the application (and so the module) alice and
# bob; the helper gets the uid from the module.
nss_users alice:5001 bob:5002
printf 'linux-hosts-secret\n' > "$T/secret"
chmod 600 "$T/secret"
mkdir -p "$T/run/5001"
chown 5001 "$T/run/5001" 2>/dev/null || true
chmod 700 "$T/run/5001"

cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
methods = token, password
http_connect_timeout = 1s
http_timeout = 2s
offline_grace = 12h
export_dir = $T/run

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
client_id = linux-hosts
client_secret_file = $T/secret
circuit_failures = 50

[service tg_due]
refresh_ahead = 15m

[service tg_exp]
leeway = 0s

[service tg_exp_badclient]
leeway = 0s

[service tg_exp_later]
leeway = 0s

[service tg_sudo]
offline_grace = 1h

[service tg_seq]
export_token = yes

[service tg_rev]
revoke_on_logout = yes

[service tg_dev]
methods = device, token
device_timeout = 30s
qr = yes

[service tg_devlate]
methods = token, device

[service tg_devshort]
methods = device
device_timeout = 4s

[service tg_devcron]
methods = device, token

[service tg_dev_t2]
methods = device, token

[service tg_devlate_1s]
methods = token, device
device_timeout = 1s
CONF
chmod 600 "$T/tg.conf"
sed 's/^circuit_failures = 50$/circuit_failures = 50\nintrospect = yes/' "$T/tg.conf" > "$T/intro.conf"
chmod 600 "$T/intro.conf"
printf 'not-the-secret\n' > "$T/badsecret"
chmod 600 "$T/badsecret"
sed "s|^client_secret_file = .*|client_secret_file = $T/badsecret|" "$T/tg.conf" > "$T/badclient.conf"
chmod 600 "$T/badclient.conf"
service tg
service tg_due
service tg_exp
service tg_seq
service tg_rev
service tg_plus2h clock=+7200
service tg_plus13h clock=+46800
service tg_minus1h clock=-3600
service tg_sudo clock=+7200
service tg_seq_plus2h clock=+7200
service tg_idtok kind=id
service tg_dev
service tg_devlate
service tg_devshort
service tg_devcron noninteractive
service tg_dev_t2 timeout=2
service tg_devlate_1s
sed "s|config=$T/tg.conf|config=$T/intro.conf|" "$T/svc/tg" > "$T/svc/tg_intro"
# 3 s on by the test clock: a token of 2 s has expired
service tg_exp_later clock=+3
sed "s|config=$T/tg.conf|config=$T/badclient.conf|" "$T/svc/tg_exp_later" > "$T/svc/tg_exp_badclient"

# What the person does at the verification page, as $T/person.sh (a
# PAMSEQ_HOOK): ${ACTION:-approve} (or deny) the code shown in the prompt
# as ${APPROVER:-alice}, after ${DELAY:-0} seconds (in the background).
device_person() {
	cat > "$T/person.sh" <<-HOOK
	#!/bin/sh
	code=\$(printf '%s' "\$PAMSEQ_PROMPT" | sed -n 's/.*enter the code \([A-Z0-9-]*\).*/\1/p')
	[ -n "\$code" ] || exit 0
	decide() { curl -s -X POST "$UP/test/device/\${ACTION:-approve}?user_code=\$code&user=\${APPROVER:-alice}" > "$T/person.out"; }
	if [ "\${DELAY:-0}" = 0 ]; then decide; else ( sleep "\$DELAY"; decide ) & fi
	HOOK
	chmod +x "$T/person.sh"
}
