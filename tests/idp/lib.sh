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
