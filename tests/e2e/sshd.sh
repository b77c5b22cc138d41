# tests/e2e/sshd.sh - sourced by the root end-to-end suites once T is set:
# the real sshd on 127.0.0.1 (keyboard-interactive through PAM only, a host
# key of the suite's own), started under a PAM service name of the caller's
# choice (sshd uses its program name as the service: a symlink).
ssh-keygen -q -t ed25519 -N '' -f "$T/hostkey"
mkdir "$T/sbin"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sshd_start() { # service
	[ -z "$SSHD_PID" ] || { kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true; }
	ln -sf /usr/sbin/sshd "$T/sbin/$1"
	PORT=$(free_port)
	cat > "$T/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/hostkey
PidFile $T/sshd.pid
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
AuthenticationMethods keyboard-interactive
PermitRootLogin no
StrictModes no
LogLevel VERBOSE
LoginGraceTime 120
EOF
	: > "$T/sshd.log"
	"$T/sbin/$1" -D -e -f "$T/sshd_config" 2>> "$T/sshd.log" &
	SSHD_PID=$!
	_i=0
	while ! grep -q 'Server listening' "$T/sshd.log" && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
}
