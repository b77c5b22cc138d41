#!/bin/sh
# tests/firstrun/run.sh - a newcomer's first run, from a clean copy: the
# working tree as a fresh clone has it (tracked and new files; no build/,
# no tests/idp/node_modules, no ../shared/vectors beside it), in a private
# temp dir. There:
#   - `make` without the build packages (pkg-config finding nothing, dpkg
#     knowing no package) stops before the compiler with the apt-get line;
#   - `make -j2 demo` builds from nothing and runs the demo; each step's
#     result line and its audit record are asserted.
# node_modules is copied from this tree (a test reaches no registry; the
# provider suites have run npm ci by now). Bounded: the demo stops itself
# (180 s), the build is what it is.
set -eu
B=$(cd "${B:-build}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/tg-firstrun.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail=0 n=0
ok() { n=$((n + 1)); printf '  ok   %s\n' "$1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); printf '  FAIL %s\n' "$1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

C=$W/tokengate
mkdir -p "$C"
cd "$src"
. tests/tools/tree_copy.sh
tree_copy "$C"
check "the clean copy has no build/, no node_modules and no ../shared beside it" \
	"[ ! -e '$C/build' ] && [ ! -e '$C/tests/idp/node_modules' ] && [ ! -e '$W/shared' ]"

# ---- make without the build packages: the one apt-get line ----
mkdir -p "$W/nopkgs"
printf '#!/bin/sh\nexit 1\n' > "$W/nopkgs/dpkg-query"
chmod +x "$W/nopkgs/dpkg-query"
(cd "$C" && PATH="$W/nopkgs:$PATH" make PKG_CONFIG=false > "$W/nopkgs.out" 2>&1) && rc=0 || rc=$?
want=$(sed -n '/^pkgs="/,/"$/p' "$C/tests/tools/ensure-deps.sh" | tr -d '"' | sed 's/^pkgs=//' | tr '\n' ' ' | tr -s ' ' | sed 's/ $//')
check "make without the build packages fails before compiling, and prints 'apt-get install' with the packages" \
	"[ $rc != 0 ] && grep -q '^  apt-get install gcc make pkg-config ' '$W/nopkgs.out' && ! grep -q -e 'No such file' -e '  CC ' '$W/nopkgs.out'"
check "  the line names every package of ensure-deps.sh's list (one list)" \
	"line=\$(grep '^  apt-get install' '$W/nopkgs.out'); for p in $want; do echo \" \$line \" | grep -q -- \" \$p \" || exit 1; done"
[ "$fail" = 0 ] || cat "$W/nopkgs.out"

# ---- make demo from nothing ----
if [ -d "$src/tests/idp/node_modules/oidc-provider" ]; then
	cp -a "$src/tests/idp/node_modules" "$C/tests/idp/node_modules"
else
	bad "no tests/idp/node_modules to copy (the provider suites run npm ci first)"
	echo "  $n checks, $fail failed"
	exit 1
fi
t0=$(date +%s)
(cd "$C" && make -j2 demo > "$W/demo.out" 2>&1) && rc=0 || rc=$?
t1=$(date +%s)
echo "  make -j2 demo in the clean copy: $((t1 - t0)) s (build and demo), exit $rc"
out=$W/demo.out
has() { grep -a -q -E -- "$1" "$out"; }
check "make demo succeeds on the clean copy" "[ $rc = 0 ]"
check "1. device login: the address, the code and a QR code shown; approved; alice logged in, audited method=device" \
	"has 'user_code=' && has '█' && has '^  => device login for alice: LOGGED IN' && has '^  audit: .*event=auth result=allow reason=ok service=demo-device user=alice .*method=device'"
check "2. password login: bob logged in, audited method=password" \
	"has '^  => password login for bob: LOGGED IN' && has '^  audit: .*event=auth result=allow reason=ok service=demo user=bob .*method=password'"
check "3. wrong password: refused, audited bad_password" \
	"has '^  => wrong password for bob: REFUSED' && has '^  audit: .*event=auth result=deny reason=bad_password service=demo user=bob'"
check "4. revocation: revoked at the provider and purged; alice's next account check refused, audited revoked" \
	"has '^  => revoke alice: done, her session purged; her next account check: REFUSED' && has '^  audit: .*event=store result=purge reason=revoked service=tokengatectl user=alice' && has '^  audit: .*event=account result=deny reason=revoked service=demo user=alice'"
check "5. provider stopped: grace at +2h (10h left) and +11h (under 1h left), audited step=grace; refused at +13h, grace_expired" \
	"has '^  => bob.s account check, provider down, clock \\+2h: ALLOWED, grace left (10h00m|9h59m)' && has '^  => bob.s account check, provider down, clock \\+11h: ALLOWED, grace left (59 minutes|1h00m)' && has '^  audit: .*event=account result=allow reason=ok service=demo-11h user=bob .*step=grace grace_left_s=3[56][0-9][0-9]' && has '^  => bob.s account check, provider down, clock \\+13h: REFUSED' && has '^  audit: .*event=account result=deny reason=grace_expired service=demo-13h user=bob'"
check "6. tokengatectl status: exit 0, alice revoked, bob fresh" \
	"has '^  => status: exit 0, 2 stored session\\(s\\): alice revoked, bob fresh'"
check "  the demo ended by itself" "has '^Done. Nothing was installed'"
[ "$fail" = 0 ] || tail -60 "$out"
echo "  $n checks, $fail failed"
[ "$fail" -eq 0 ]
