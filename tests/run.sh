#!/bin/sh
# tests/run.sh - every suite that can run on this machine, in order, with a
# closing count. Called by `make check` after the build.
set -u
B=${B:-build}
VECTORS=${VECTORS:-../shared/vectors/wycheproof}
passed=0
failed=0
skipped=0
failures=""

suite() { # name command...
	name=$1; shift
	printf '\n=== %s\n' "$name"
	if "$@"; then
		passed=$((passed + 1))
		printf -- '--- %s: ok\n' "$name"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		printf -- '--- %s: FAILED\n' "$name"
	fi
}

skip() {
	skipped=$((skipped + 1))
	printf '\n=== %s\n--- %s: skipped (%s)\n' "$1" "$1" "$2"
}

# The Wycheproof vectors live beside the repository (../shared/vectors); a
# checkout without them says so instead of failing on a missing directory.
have_vectors() { [ -d "$VECTORS" ] && [ -f "$VECTORS/ecdsa_secp256r1_sha256_p1363_test.json" ]; }
for u in "$B"/tests/unit_*; do
	n=$(basename "$u" | sed 's/^unit_//')
	if [ "$n" = wycheproof ] && ! have_vectors; then
		skip "unit $n" "no Wycheproof vectors at $VECTORS"
		continue
	fi
	suite "unit $n" "$u"
done
for u in "$B"/asan/unit_*; do
	n=$(basename "$u" | sed 's/^unit_//')
	if [ "$n" = wycheproof ] && ! have_vectors; then
		skip "unit+asan/ubsan $n" "no Wycheproof vectors at $VECTORS"
		continue
	fi
	suite "unit+asan/ubsan $n" \
		env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$u"
done
suite "shipped .so files load and export only their API" \
	"$B/tests/dlopen_check" "$B/pam_tokengate.so" "$B/test/pam_tokengate.so"
suite "libtokengate.so exports only tg_*" sh -c \
	"! nm -D --defined-only '$B/libtokengate.so' | awk '{print \$3}' | grep -v -e '^tg_' -e '^TOKENGATE_'"
suite "man pages render without warnings" sh -c \
	'for m in docs/*.5 docs/*.8; do w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null); [ -z "$w" ] || { echo "$m: $w"; exit 1; }; done'
if have_vectors; then
	suite "wycheproof jws+jwk via tokengatectl" python3 tests/wycheproof/run_jws.py "$B/tokengatectl" "$VECTORS"
else
	skip "wycheproof jws+jwk via tokengatectl" "no Wycheproof vectors at $VECTORS"
fi
suite "tokengatectl check-config (every problem, file:line; typos fail closed)" \
	env B="$B" sh tests/config/check_config.sh
suite "tokengatectl audit (records read back: both formats, escapes, forged fields, grouping by login, --json, journal)" \
	env B="$B" sh tests/tools/ctl_audit.sh
if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	suite "tokengatectl user (records of provider-only people: ids, collisions, NSS files)" \
		env B="$B" sh tests/users/ctl.sh
else
	skip "tokengatectl user" "needs root or user namespaces for a private /dev/log"
fi
if [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	suite "integration (libpam + pam_wrapper + helper + syslog)" env B="$B" sh tests/integration/run.sh
else
	skip "integration" "needs root or user namespaces for a private /dev/log"
fi
if [ "$(id -u)" = 0 ] || unshare -r true 2>/dev/null; then
	suite "NSS module (libnss_tokengate through nss_wrapper and called directly; refused files; shipped symbols)" \
		env B="$B" sh tests/nss/run.sh
else
	skip "NSS module" "needs root or user namespaces (root-owned database files)"
fi
if ! command -v node >/dev/null 2>&1; then
	skip "identity provider (oidc-provider)" "node is not installed"
elif [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	suite "identity provider (real oidc-provider on 127.0.0.1)" env B="$B" sh tests/idp/run.sh
	suite "sessions (store, refresh chain, grace, lockout; real provider)" env B="$B" sh tests/session/run.sh
	suite "interactive logins (device flow, method order; real provider)" env B="$B" sh tests/session/device.sh
	suite "operations (tokengatectl status, metrics, refresh --all, cleanup, revoke)" env B="$B" sh tests/session/ops.sh
	suite "several providers (issuer = per service: logins, tokens, sessions, grace; two real providers)" env B="$B" sh tests/session/issuers.sh
	suite "sessions from ID tokens (scope openid only, opaque access tokens: password, device, refresh, grace; real provider)" env B="$B" sh tests/session/idtoken.sh
	suite "freshness and strength per service, step-up (max_auth_age, acr, amr; real provider, controlled auth_time/acr/amr)" env B="$B" sh tests/session/stepup.sh
	suite "people who exist only at the provider (create_users: records from logins, groups, revocation; real provider)" env B="$B" sh tests/users/login.sh
	suite "providers' quirks (Keycloak, Entra ID, Google, Okta as documented: password, device, refresh, grace; real provider)" env B="$B" sh tests/session/quirks.sh
	suite "security (degraded paths no more permissive: caller limits, outages, lockout, revocation; real provider)" env B="$B" sh tests/security/run.sh
	suite "first run: make demo from a clean copy (build from nothing, each step's result and audit record)" \
		env B="$B" sh tests/firstrun/run.sh
else
	skip "identity provider" "needs root or user namespaces for a private /dev/log"
fi
# The second real provider; `make check` as root installs it (ensure-deps).
if ! command -v glewlwyd >/dev/null 2>&1 || [ ! -f /usr/share/doc/glewlwyd/database/init.sqlite3.sql.gz ]; then
	skip "interop: Glewlwyd" "glewlwyd is not installed (as root, make check installs it)"
elif [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	suite "interop: Glewlwyd 2.7 (second real provider: password, device, refresh, revoke, ES256)" \
		env B="$B" sh tests/interop/glewlwyd.sh
else
	skip "interop: Glewlwyd" "needs root or user namespaces for a private /dev/log"
fi
# The third: LemonLDAP::NG's portal under plackup, configured with its CLI.
if [ ! -f /usr/share/lemonldap-ng/portal/htdocs/index.psgi ] || [ ! -x /usr/share/lemonldap-ng/bin/lemonldap-ng-cli ] ||
	! command -v plackup >/dev/null 2>&1; then
	skip "interop: LemonLDAP::NG" "liblemonldap-ng-portal-perl and liblemonldap-ng-manager-perl are not installed (as root, make check installs them)"
elif [ "$(id -u)" = 0 ] || unshare -rm true 2>/dev/null; then
	suite "interop: LemonLDAP::NG 2.16 (third real provider: password, refresh without rotation, typ JWT, no device or revocation endpoint)" \
		env B="$B" sh tests/interop/lemonldap.sh
else
	skip "interop: LemonLDAP::NG" "needs root or user namespaces for a private /dev/log"
fi
if command -v "${CLANG:-clang}" >/dev/null 2>&1; then
	suite "fuzz (bounded)" sh -c "make --no-print-directory -s fuzz-build && FUZZ_SECONDS=\${FUZZ_SECONDS:-8} B='$B' sh tests/fuzz/run.sh b64url json jwt jwks config proto"
else
	skip "fuzz" "clang not installed"
fi
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	suite "the build and the tests leave no untracked files" sh -c \
		'u=$(git status --porcelain --untracked-files=all | grep "^??"); [ -z "$u" ] || { echo "$u"; exit 1; }'
fi
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v node >/dev/null 2>&1; then
	suite "end to end as root (sshd + ssh, su, login, sudo; private namespace)" env B="$B" sh tests/e2e/run.sh
else
	skip "end to end (sshd, su, login, sudo)" "needs root (CI runs it): setuid programs ignore pam_wrapper"
fi
if [ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v node >/dev/null 2>&1; then
	suite "end to end as root: people who exist only at the provider (sshd + ssh, libnss_tokengate, pam_mkhomedir; private namespace)" \
		env B="$B" sh tests/e2e/users.sh
else
	skip "end to end: people who exist only at the provider" "needs root (CI runs it): sshd looks users up through the host's NSS"
fi
if [ "$(id -u)" = 0 ] && command -v dpkg-buildpackage >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
	suite "Debian package (make deb, lintian, install, login, purge; overlays)" env B="$B" sh tests/deb/run.sh
else
	skip "Debian package" "needs root and dpkg-buildpackage (CI runs it)"
fi
if command -v rpmbuild >/dev/null 2>&1; then
	suite "RPM package (rpmbuild packaging/rpm/tokengate.spec; files, paths, modes)" env B="$B" sh tests/rpm/run.sh
else
	skip "RPM package" "rpmbuild is not installed (package rpm; as root, make check installs it)"
fi

printf '\n'
[ -n "$failures" ] && printf 'failed suites:%s\n' "$failures"
printf 'check: %d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
