#!/bin/sh
# tokengatectl user: records of people who exist only at the provider,
# pre-provisioned and taken away by an administrator (lib/userdb.c). The
# published NSS files are read as libnss_tokengate reads them; a local
# account (nss_wrapper's) is never shadowed; each change is audited.
set -eu
B=$(cd "${B:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tools/suite.sh"
private_log_ns tg-users
n=0 fail=0
nss_users alice:5001
echo 'users:x:100:' >> "$T/group"
mkdir -m 700 "$T/store"
cat > "$T/tg.conf" <<CONF
[global]
store_dir = $T/store
cache_dir = $T/cache
nss_dir = $T/nss
uid_range = 200000-299999
gid_range = 300000-399999

[issuer corp]
issuer = https://idp.example.com
audience = linux-hosts
create_users = yes

[issuer lab]
issuer = https://lab.example.com
audience = linux-hosts
CONF
chmod 600 "$T/tg.conf"
uid_of() { python3 -c "import hashlib,sys; d=hashlib.sha256(b'uid\0'+sys.argv[1].encode()+b'\0'+sys.argv[2].encode()).digest(); print(200000+int.from_bytes(d[:8],'big')%100000)" "$1" "$2"; }

r=$(ctl user add --name 'Jane Doe' jane --sub 8f2c-11)
want=$(uid_of https://idp.example.com 8f2c-11)
check "user add: the record is published with the uid derived from (iss, sub), primary group users" \
	"grep -qx 'jane:x:$want:100:Jane Doe:/home/jane:/bin/bash' '$T/nss/passwd' && ! grep -q '^jane:' '$T/nss/group'"
check "  the NSS files are root's, 0644, in a 0755 directory; the database is 0600" \
	"[ \"\$(stat -c %a:%U '$T/nss/passwd')\" = 644:root ] && [ \"\$(stat -c %a '$T/nss')\" = 755 ] && [ \"\$(stat -c %a '$T/store/users.json')\" = 600 ]"
check "  audited (event=user result=add)" "logged 'event=user result=add reason=ok service=tokengatectl user=jane'"
r=$(ctl user add jack --sub 8f2c-11) && st=0 || st=$?
check "the same identity under another name: refused (exit 1, user_mismatch)" \
	"[ $st = 1 ] && echo '$r' | grep -q 'user_mismatch: this identity already has the record jane' && ! grep -q '^jack:' '$T/nss/passwd'"
r=$(ctl user add jane --sub someone-else) && st=0 || st=$?
check "the same name for another identity: refused" "[ $st = 1 ] && echo '$r' | grep -q 'another identity'"
r=$(ctl user add alice --sub a-1) && st=0 || st=$?
check "a local account's name (alice, from NSS): never shadowed" \
	"[ $st = 1 ] && echo '$r' | grep -q 'alice is a local account'"
r=$(ctl user add --uid 5001 bob --sub b-1) && st=0 || st=$?
check "a uid outside uid_range (--uid 5001, alice's): refused" "[ $st = 1 ] && echo '$r' | grep -q 'outside uid_range'"
r=$(ctl user add --uid "$want" bob --sub b-1) && st=0 || st=$?
check "jane's uid for bob: refused, not moved on" "[ $st = 1 ] && echo '$r' | grep -q 'taken by the record jane'"
r=$(ctl user add --issuer lab bob --sub b-1) && st=0 || st=$?
check "an issuer without create_users: no record" "[ $st = 1 ] && echo '$r' | grep -q 'create_users is off'"
r=$(ctl user list)
check "user list shows jane enabled, with her issuer and sub" \
	"echo '$r' | grep -q '^jane  *$want  *enabled  *corp  *8f2c-11$'"
ctl status > "$T/status.out" || true; ctl metrics > "$T/metrics.out" || true
check "status and metrics count the records" \
	"grep -q '^users  1 provisioned (1 enabled, 0 disabled' '$T/status.out' && grep -q '^tokengate_users{state=.enabled.} 1$' '$T/metrics.out'"
r=$(ctl user disable jane)
check "user disable: the record stays with the shell nologin, audited" \
	"grep -qx 'jane:x:$want:100:Jane Doe:/home/jane:/usr/sbin/nologin' '$T/nss/passwd' && logged 'event=user result=disable reason=ok service=tokengatectl user=jane'"
r=$(ctl user remove jane)
check "user remove: gone from passwd and group, audited" \
	"! grep -q jane '$T/nss/passwd' '$T/nss/group' && logged 'event=user result=remove reason=ok service=tokengatectl user=jane'"
r=$(ctl user remove jane) && st=0 || st=$?
check "  removing it again: exit 1, no such record" "[ $st = 1 ] && echo '$r' | grep -q 'no such record'"
printf 'not json' > "$T/store/users.json"
r=$(ctl user list) && st=0 || st=$?
ctl status > "$T/status.out" && st2=0 || st2=$?
check "  and status says so (exit 1), never no users" "[ $st2 = 1 ] && grep -q 'users  unknown' '$T/status.out'"
check "a damaged user database: refused with a reason, not overwritten" \
	"[ $st = 1 ] && echo '$r' | grep -q 'malformed' && [ \"\$(cat '$T/store/users.json')\" = 'not json' ]"
suite_end
