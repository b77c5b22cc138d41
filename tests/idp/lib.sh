# tests/idp/lib.sh - sourced by the provider suite and the benchmark.
# wait_file FILE: up to 5 s for FILE to be non-empty.
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	[ -s "$1" ]
}

# start_behind_proxy DIR: the fault proxy, then a provider whose public
# issuer URL is the proxy's. Sets PURL, PROXY_PID, IDP_PID.
start_behind_proxy() {
	mkdir -p "$1"
	python3 "$TG_IDP_DIR/faultproxy.py" "$1" > "$1/proxy.log" 2>&1 &
	PROXY_PID=$!
	wait_file "$1/proxy-port" || return 1
	PURL=http://127.0.0.1:$(cat "$1/proxy-port")
	node "$TG_IDP_DIR/server.js" "$1" "$PURL" > "$1/idp.log" 2>&1 &
	IDP_PID=$!
	wait_file "$1/url"
}

# suite_provider DIR: for a suite that drives logins against the provider
# (session, security): installs oidc-provider when missing, starts it
# behind the proxy in DIR, stops both on exit, and defines UP (the
# provider itself, for its test routes) and the helpers below.
suite_provider() {
	[ -d "$TG_IDP_DIR/node_modules/oidc-provider" ] ||
		(cd "$TG_IDP_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1)
	start_behind_proxy "$1" || { echo "provider did not start"; cat "$1/idp.log"; exit 1; }
	SUITE_PROXY_DIR=$1
	trap suite_provider_stop EXIT
	UP=$(cat "$1/upstream")
	mode pass
}
suite_provider_stop() {
	kill "$IDP_PID" "$PROXY_PID" 2>/dev/null || true
	wait "$IDP_PID" "$PROXY_PID" 2>/dev/null || true
}
# mode MODE: the fault proxy's behaviour (pass, reset, 500, hang, ...)
mode() { echo "$1" > "$SUITE_PROXY_DIR/mode"; }
# the provider's counters (requests, grants) and its test routes
stats() { curl -s "$UP/test/stats"; }
count() { stats | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1',0))"; }
reset() { curl -s -X POST "$UP/test/reset" >/dev/null; }
ttl() { curl -s -X POST "$UP/test/ttl?at=$1" >/dev/null; }

# proxy_conf FILE CACHE_DIR COOLDOWN: an issuer reached through the proxy,
# with short timeouts and a 3-failure circuit.
proxy_conf() {
	cat > "$1" <<CONF
[global]
cache_dir = $2
store_dir = $2-store
http_connect_timeout = 1s
http_timeout = 2s

[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
circuit_failures = 3
circuit_cooldown = $3
CONF
	chmod 600 "$1"
}
