#!/bin/sh
# tests/rpm/run.sh - builds packaging/rpm/tokengate.spec with rpmbuild from
# a tarball of the working tree (tracked and new files, as `make deb` takes
# them), in a private _topdir under $B/rpm, and checks the binary package
# holds what the spec says: the module under %{_libdir}/security, the
# helper, tokengatectl, the config 0600, the units, and no libtokengate.so
# nor header (they are for tokengate's own programs only).
# On Debian, rpmbuild --nodeps (the BuildRequires name Fedora packages) and
# _unitdir defined (Debian has no systemd-rpm-macros). Bounded by the build.
set -eu
B=$(cd "${B:-build}" && pwd)
cd "$(dirname "$0")/../.."
V=$(sed -n 's/^#define TG_VERSION "\(.*\)"/\1/p' include/tokengate.h)
top=$B/rpm
rm -rf "$top"
mkdir -p "$top/SOURCES" "$top/src/tokengate-$V"
# the tree as a release tarball would have it: no build output
. tests/tools/tree_copy.sh
tree_copy "$top/src/tokengate-$V"
tar -czf "$top/SOURCES/tokengate-$V.tar.gz" -C "$top/src" "tokengate-$V"
rm -rf "$top/src"
nodeps=""
[ -e /etc/debian_version ] && nodeps=--nodeps
unit=$(rpm --eval '%{?_unitdir}')
[ -n "$unit" ] || unit=/usr/lib/systemd/system
fail=0 n=0
ok() { n=$((n + 1)); printf '  ok   %s\n' "$1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); printf '  FAIL %s\n' "$1"; }
# shellcheck disable=SC2086
if rpmbuild -bb --noclean $nodeps --define "_topdir $top" --define "_unitdir $unit" \
	--define 'debug_package %{nil}' --define "_smp_mflags -j2" \
	packaging/rpm/tokengate.spec > "$top/build.log" 2>&1; then
	ok "rpmbuild -bb packaging/rpm/tokengate.spec ${nodeps:+(--nodeps) }builds"
else
	bad "rpmbuild -bb packaging/rpm/tokengate.spec"
	tail -30 "$top/build.log"
	echo "  0 further checks; 1 failed"
	exit 1
fi
rpmf=$(ls "$top"/RPMS/*/tokengate-"$V"-*.rpm)
libdir=$(rpm --eval '%{_libdir}')
libexecdir=$(rpm --eval '%{_libexecdir}')
sbindir=$(rpm --eval '%{_sbindir}')
rpm -qlp "$rpmf" > "$top/files" 2>/dev/null
rpm -qlvp "$rpmf" > "$top/files-v" 2>/dev/null
has() { grep -qx -- "$1" "$top/files"; }
if has "$libdir/security/pam_tokengate.so" && has "$libexecdir/tokengate/tokengate-helper" &&
	has "$sbindir/tokengatectl" && has "$unit/tokengate-refresh.timer" &&
	has "$unit/tokengate-cleanup.service" && has "$libdir/libnss_tokengate.so.2"; then
	ok "  the package holds the module ($libdir/security), the NSS module ($libdir), the helper, tokengatectl and the units ($unit)"
else
	bad "  the package's files"; cat "$top/files"
fi
if ! grep -q -e 'libtokengate\.so' -e '/include/' "$top/files"; then
	ok "  no libtokengate.so and no header in the package"
else
	bad "  libtokengate.so or a header packaged"; grep -e 'libtokengate' -e '/include/' "$top/files"
fi
if grep -q '^-rw-------.* /etc/security/tokengate.conf$' "$top/files-v"; then
	ok "  /etc/security/tokengate.conf is 0600"
else
	bad "  tokengate.conf mode"; grep tokengate.conf "$top/files-v" || true
fi
# the paths compiled in are the ones installed (the spec passes one set of
# directories to the build and the install)
mod=$(find "$top/BUILD" -path '*/build/pam_tokengate.so' | head -1)
if [ -n "$mod" ] && grep -a -q -F "$libexecdir/tokengate/tokengate-helper" "$mod"; then
	ok "  the module runs the helper where the package put it ($libexecdir/tokengate)"
else
	bad "  the module's compiled-in helper path is not $libexecdir/tokengate/tokengate-helper"
fi
echo "  $n checks, $fail failed"
[ "$fail" -eq 0 ]
