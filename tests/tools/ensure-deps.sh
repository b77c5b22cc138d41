#!/bin/sh
# ensure-deps.sh - installs the Debian 12 packages tokengate builds and tests
# with, when they are missing: with apt-get as root, otherwise it prints the
# one command to run. The package list is here and nowhere else: the
# Makefile's missing-package message asks this script (--hint).
#
#   ensure-deps.sh          install what is missing (root), or print the line
#   ensure-deps.sh --hint   only print the apt-get line for what is missing
set -eu
pkgs="gcc make pkg-config openssl python3 util-linux coreutils
libpam0g-dev libssl-dev libjansson-dev libjwt-dev libcrypt-dev libcurl4-openssl-dev
libcmocka-dev libpam-wrapper libpamtest0-dev libnss-wrapper pamtester clang man-db groff-base
libqrencode-dev nodejs"
# The demo and the provider suites run oidc-provider (tests/idp): node and
# npm (some nodejs builds carry npm themselves).
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
# The end-to-end suite drives the real programs (run as root only).
# So does the package test (make deb, lintian, install and purge), and the
# RPM spec is built with Debian's rpmbuild (rpm).
# So do the interop suites' other OpenID providers: Glewlwyd, and
# LemonLDAP::NG's portal (run with plackup) and its CLI (the manager
# package), with the Perl modules they only recommend but load at start:
# IO::String, String::Random (the OpenID issuer), Email::Sender,
# MIME::Entity (the CLI), GD::SecurityImage and Image::Magick (the
# portal's captcha module, loaded even when no captcha is enabled).
[ "$(id -u)" = 0 ] && pkgs="$pkgs openssh-server openssh-client expect sudo login
dpkg-dev debhelper lintian fakeroot rpm glewlwyd
liblemonldap-ng-portal-perl liblemonldap-ng-manager-perl libio-string-perl
libstring-random-perl libemail-sender-perl libmime-tools-perl libgd-securityimage-perl
libimage-magick-perl"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
hint() {
	echo "tokengate: missing packages; run as root:" >&2
	echo "  apt-get install$missing" >&2
}
if [ "${1:-}" = --hint ]; then
	[ -z "$missing" ] || hint
	exit 0
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	hint
	exit 1
fi
echo "tokengate: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The services these packages bring (sshd, Glewlwyd on every address at
# port 4593, LemonLDAP::NG's FastCGI server and the portal's cleanup
# timer) are never started: the suites run their own, on 127.0.0.1.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null && rc=0 || rc=$?
[ -z "$policy" ] || rm -f "$policy"
for unit in glewlwyd.service lemonldap-ng-fastcgi-server.service liblemonldap-ng-portal-perl.timer; do
	[ -e "/lib/systemd/system/$unit" ] || continue
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now "$unit" >/dev/null 2>&1 || true
	fi
	[ ! -e "/etc/init.d/${unit%.*}" ] || update-rc.d "${unit%.*}" disable >/dev/null 2>&1 || true
done
exit "$rc"
