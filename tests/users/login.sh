#!/bin/sh
# Logins of people who exist only at the provider (create_users = yes):
# through the real libpam (pam_wrapper; the application's NSS, nss_wrapper,
# knows only alice and bob) and the real provider. A password or device
# login for a name without a local account makes the record from the
# validated claims (uid from (iss, sub), groups through unix_groups) and
# the session under its uid; what must not make a record: a token that
# maps to another name, a provider group named like a local group, an
# issuer without create_users. Revocation disables the record.
. "$(cd "$(dirname "$0")/../session" && pwd)/common.sh"

echo "  provider: $PURL (upstream $UP)"
user() { curl -s -X POST "$UP/test/user?$1" >/dev/null; }
sed -e "s|^circuit_failures = 50$|circuit_failures = 50\ncreate_users = yes\nunix_groups = linux-* sudo|" \
    -e "s|^export_dir = .*|&\nnss_dir = $T/nss|" "$T/tg.conf" > "$T/users.conf"
printf '\n[service u_tg_dev]\nmethods = device\ndevice_timeout = 30s\n[service u_tg_devtok]\nmethods = device, token\ndevice_timeout = 30s\n' >> "$T/users.conf"
chmod 600 "$T/users.conf"
for s in tg tg_dev; do
	sed "s|config=$T/tg.conf|config=$T/users.conf|" "$T/svc/$s" > "$T/svc/u_$s"
done
cp "$T/svc/u_tg_dev" "$T/svc/u_tg_devtok"
uid_of() { python3 -c "import hashlib,sys; d=hashlib.sha256(b'uid\0'+sys.argv[1].encode()+b'\0'+sys.argv[2].encode()).digest(); print(1879048192+int.from_bytes(d[:8],'big')%134217728)" "$PURL" "$1"; }
rec() { grep "^$1:" "$T/nss/passwd" 2>/dev/null || true; }

user "name=carol&groups=devs,linux-ops,sudo"
cu=$(uid_of carol)
r=$(pam u_tg carol authenticate carol-password)
check "password login of carol, known only to the provider: allowed, her record made" \
	"succeeded && [ \"\$(rec carol)\" = 'carol:x:$cu:100::/home/carol:/bin/bash' ] && grep -q 'Your account on this host has been created' '$T/out'"
check "  audited (event=user result=create, her uid), and the decision" \
	"logged 'event=user result=create reason=ok service=u_tg user=carol .*detail=\"uid $cu (sub carol)' && logged 'event=auth result=allow reason=ok service=u_tg user=carol .*method=password'"
check "  her session is stored under that uid" "[ \"\$(store $cu user)\" = carol ] && [ \"\$(store $cu sub)\" = carol ]"
check "  groups: linux-ops (unix_groups) with a derived gid; devs not listed; sudo, a local group, left out" \
	"grep -q '^linux-ops:x:[0-9]*:carol$' '$T/nss/group' && ! grep -q '^devs:' '$T/nss/group' && ! grep -q '^sudo:' '$T/nss/group' && logged 'provider group sudo left out: sudo is a local group'"
# the application with libnss_tokengate (the test build, reading $T/nss)
# in its NSS, as a host that enables it in nsswitch.conf: the next stages
# find carol's record and her session under its uid
nwrapped() {
	env LD_PRELOAD="libpam_wrapper.so libnss_wrapper.so" PAM_WRAPPER=1 PAM_WRAPPER_USE_SYSLOG=1 \
		PAM_WRAPPER_SERVICE_DIR="$T/svc" NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		NSS_WRAPPER_MODULE_SO_PATH="$B/test/libnss_tokengate.so.2" NSS_WRAPPER_MODULE_FN_PREFIX=tokengate \
		TG_NSS_DIR="$T/nss" "$@"
}
npam() { printf '%s\n' "${4:-}" | nwrapped pamtester -v "$1" "$2" "$3" > "$T/out" 2>&1 || true; tail -1 "$T/out"; }
r=$(printf '\n' | nwrapped pamtester -v u_tg carol acct_mgmt open_session 2>&1 | tail -1)
check "  with libnss_tokengate in the application's NSS: her account and session stages pass on that session" \
	"echo '$r' | grep -q 'successfully opened a session' && logged 'event=account result=allow reason=ok service=u_tg user=carol'"
r=$(pam u_tg carol authenticate carol-password)
check "a second login refreshes the record (result=update), no second uid" \
	"succeeded && logged 'event=user result=update reason=ok service=u_tg user=carol' && [ \"\$(grep -c '^carol:' '$T/nss/passwd')\" = 1 ]"
user "name=carol&groups=devs"
r=$(pam u_tg carol authenticate carol-password)
check "  her groups follow the provider: linux-ops gone once she left it" \
	"succeeded && ! grep -q '^linux-ops:' '$T/nss/group'"

# a token that maps to another name makes no record
user "name=dave&username=dave2"
r=$(pam u_tg dave authenticate dave-password)
check "dave's token names dave2: refused (user_mismatch), no record, no session" \
	"! succeeded && logged 'event=auth result=deny reason=user_mismatch service=u_tg user=dave' && [ -z \"\$(rec dave)\" ] && [ -z \"\$(rec dave2)\" ]"
r=$(pam u_tg erin authenticate wrong)
check "a name the provider does not know: bad_password, no record" \
	"! succeeded && logged 'event=auth result=deny reason=bad_password service=u_tg user=erin' && [ -z \"\$(rec erin)\" ]"
r=$(pam tg carol authenticate carol-password)
check "an issuer without create_users: no local account, refused before the provider" \
	"! succeeded && logged 'event=auth result=deny reason=no_credentials service=tg user=carol'"

# a device login for a new name
device_person
user "name=gina&groups=linux-ops"
gu=$(uid_of gina)
APPROVER=gina PAMSEQ_HOOK="$T/person.sh" wrapped "$B/tests/pamseq" u_tg_dev gina "" > "$T/dev.out" 2>&1 || true
r=$(cat "$T/dev.out")
check "device login of gina, known only to the provider: her record made, the session under her uid" \
	"logged 'event=auth result=allow reason=ok service=u_tg_dev user=gina .*method=device' && [ \"\$(rec gina)\" = 'gina:x:$gu:100::/home/gina:/bin/bash' ] && [ \"\$(store $gu user)\" = gina ]"

# sshd, for a name it does not know yet, answers every prompt with its
# placeholder: at the device prompt that is Enter (the approval counts),
# never a typed token
user "name=hana"
hu=$(uid_of hana)
APPROVER=hana PAMSEQ_HOOK="$T/person.sh" wrapped "$B/tests/pamseq" u_tg_devtok hana "$(printf '\b\n\r\177INCORRECT')" > "$T/dev2.out" 2>&1 || true
r=$(cat "$T/dev2.out")
check "device login answered with sshd's placeholder (methods = device, token): polled, approved, record and session made" \
	"[ -n \"\$(rec hana)\" ] && [ \"\$(store $hu user)\" = hana ]"
check "  and refused honestly (sshd refuses this connection anyway): deny, told to connect again" \
	"logged 'event=auth result=deny reason=no_credentials service=u_tg_devtok user=hana .*record ready' && grep -q 'connect again to log in' '$T/dev2.out'"

# revocation disables the record
r=$(CTL_CONF=$T/users.conf ctl revoke carol)
check "tokengatectl revoke carol (no NSS entry needed): purged, her record disabled (nologin), audited" \
	"echo '$r' | grep -q 'record disabled' && [ \"\$(rec carol)\" = 'carol:x:$cu:100::/home/carol:/usr/sbin/nologin' ] && logged 'event=user result=disable'"

# with the record visible through NSS (the module then knows carol's uid),
# her record still decides who she is, and a disabled record lets nobody in
user "name=carol2&username=carol"
APPROVER=carol2 PAMSEQ_HOOK="$T/person.sh" nwrapped "$B/tests/pamseq" u_tg_dev carol "" > "$T/dev3.out" 2>&1 || true
check "another provider account whose username is carol, approving for carol: refused, never her uid" \
	"logged 'event=auth result=deny reason=user_mismatch service=u_tg_dev user=carol' && ! logged 'event=auth result=allow .*user=carol .*sub=carol2'"
r=$(npam u_tg carol authenticate carol-password)
check "carol herself while her record is disabled (revoked): refused at auth" \
	"! succeeded && logged 'event=auth result=deny reason=revoked service=u_tg user=carol .*record is disabled'"
r=$(CTL_CONF=$T/users.conf ctl user enable carol)
r=$(npam u_tg carol authenticate carol-password)
check "  tokengatectl user enable carol: her next login is let in, the record enabled" \
	"succeeded && [ \"\$(rec carol)\" = 'carol:x:$cu:100::/home/carol:/bin/bash' ]"

stop_all
trap - EXIT
suite_end
