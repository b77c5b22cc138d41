#!/bin/sh
# The Debian package (root only): make deb (lintian clean at warning level),
# then, in a private mount namespace whose /usr, /etc and /var are overlays
# on tmpfs (nothing reaches the host), install it with dpkg, check what it
# installed and that the pam-auth-update profile is off, log in through the
# installed module with pamtester against the real provider, enable and
# disable the profile, purge, and check nothing of it is left.
set -eu
[ "$(id -u)" = 0 ] || { echo "the package suite needs root"; exit 1; }
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
TG_IDP_DIR=$(cd "$here/../idp" && pwd)
. "$here/../tools/suite.sh"
if [ "${TG_IN_NS:-}" != 1 ]; then
	make --no-print-directory -s deb > "$B/deb.log" 2>&1 || { tail -30 "$B/deb.log"; exit 1; }
fi
private_log_ns tg-deb
. "$TG_IDP_DIR/lib.sh"

deb=$(ls "$B"/deb/libpam-tokengate_*_*.deb)
nssdeb=$(ls "$B"/deb/libnss-tokengate_*_*.deb)
echo "  package: $(basename "$deb"), $(stat -c %s "$deb") bytes, $(dpkg-deb -c "$deb" | grep -vc '/$') files"
check "make deb: built, lintian clean at warning level" "[ -s '$deb' ] && ! grep -q '^[EW]: ' '$B/deb.log'"

# a throw-away system: /usr, /etc and /var as overlays on a tmpfs
mkdir -p "$T/ov" && mount -t tmpfs tg-overlays "$T/ov"
for d in usr etc var; do
	mkdir -p "$T/ov/$d.up" "$T/ov/$d.work"
	mount -t overlay "tg-$d" -o "lowerdir=/$d,upperdir=$T/ov/$d.up,workdir=$T/ov/$d.work" "/$d"
done
mount -t tmpfs tg-run /run

r=$(DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" "$nssdeb" 2>&1 | tail -3)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
check "dpkg -i installs it (postinst ran)" "dpkg -s libpam-tokengate 2>/dev/null | grep -q '^Status: install ok installed'"
check "  module in the multiarch PAM directory, helper in /usr/libexec/tokengate, tool in /usr/sbin" \
	"[ -f /usr/lib/$ma/security/pam_tokengate.so ] && [ -x /usr/libexec/tokengate/tokengate-helper ] && [ -x /usr/sbin/tokengatectl ]"
check "  NSS module (package libnss-tokengate) in /lib/$ma (where libc looks), not enabled in nsswitch.conf" \
	"[ -f /lib/$ma/libnss_tokengate.so.2 ] && ! grep -q tokengate /etc/nsswitch.conf"
check "  config is a conffile, root's, mode 0600; store and cache directories 0700" \
	"dpkg-query -W -f='\${Conffiles}' libpam-tokengate | grep -q /etc/security/tokengate.conf && [ \"\$(stat -c '%a %U' /etc/security/tokengate.conf)\" = '600 root' ] && [ \"\$(stat -c %a /var/lib/tokengate)\" = 700 ] && [ \"\$(stat -c %a /var/cache/tokengate)\" = 700 ]"
check "  man pages, systemd units, pam-auth-update profile" \
	"[ -f /usr/share/man/man8/pam_tokengate.8.gz ] && [ -f /usr/share/man/man5/tokengate.conf.5.gz ] && [ -f /lib/systemd/system/tokengate-refresh.timer ] && [ -f /usr/share/pam-configs/tokengate ]"
check "  the profile is NOT enabled: no pam_tokengate in common-auth/account/session" \
	"! grep -q pam_tokengate /etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-session"

# a login through the installed module (by name, from the PAM directory)
[ -d "$TG_IDP_DIR/node_modules/oidc-provider" ] || (cd "$TG_IDP_DIR" && npm ci --no-audit --no-fund >/dev/null 2>&1)
start_behind_proxy "$T/f" || { echo "provider did not start"; cat "$T/f/idp.log"; exit 1; }
trap 'kill "$IDP_PID" "$PROXY_PID" 2>/dev/null || true' EXIT
cat > /etc/security/tokengate.conf <<CONF
[global]
methods = token
[issuer idp]
issuer = $PURL
allow_http_loopback = yes
audience = linux-hosts
CONF
printf 'auth required pam_tokengate.so\naccount required pam_tokengate.so\n' > /etc/pam.d/tg-deb
kid=$(cat "$T/f/current-kid")
tok=$(/usr/sbin/tokengatectl mint --key "$T/f/$kid.pem" --kid "$kid" --iss "$PURL" \
	--aud linux-hosts --sub sub-alice --user alice)
r=$(printf '%s\n' "$tok" | pamtester -v tg-deb alice authenticate 2>&1 | tail -1)
check "pamtester through the installed module and helper: a provider-signed token logs in" \
	"echo '$r' | grep -q 'successfully authenticated' && grep -a -q 'event=auth result=allow reason=ok service=tg-deb user=alice' '$T/audit.log'"
r=$(printf 'not-a-token\n' | pamtester -v tg-deb alice authenticate 2>&1 | tail -1)
check "  and a bad one is refused" "echo '$r' | grep -q 'Authentication failure'"
r=$(/usr/sbin/tokengatectl status 2>&1 | head -3)
check "  tokengatectl status reads the installed config" "echo \"\$r\" | grep -q '^issuer idp'"

pam-auth-update --enable tokengate
check "pam-auth-update --enable tokengate switches it on" \
	"grep -q 'pam_tokengate.so' /etc/pam.d/common-auth && grep -q 'pam_tokengate.so' /etc/pam.d/common-account"
pam-auth-update --disable tokengate
check "  and --disable off again" "! grep -q pam_tokengate /etc/pam.d/common-auth"

dpkg -L libpam-tokengate libnss-tokengate | while read -r f; do [ -d "$f" ] || echo "$f"; done > "$T/files"
DEBIAN_FRONTEND=noninteractive dpkg --purge libpam-tokengate libnss-tokengate > /dev/null 2>&1
left=$(while read -r f; do [ -e "$f" ] && echo "$f"; done < "$T/files" | tr '\n' ' ')
r="left: $left"
check "dpkg --purge: every file of the package is gone, config and sessions too" \
	"[ -z '$left' ] && [ ! -e /etc/security/tokengate.conf ] && [ ! -e /var/lib/tokengate ] && [ ! -e /var/cache/tokengate ]"
check "  the PAM stack no longer names it, and dpkg no longer knows it" \
	"! grep -rq pam_tokengate /etc/pam.d/common-* && ! dpkg -s libpam-tokengate > /dev/null 2>&1 && ! dpkg -s libnss-tokengate > /dev/null 2>&1"

suite_end
