# tokengate - GNU make + pkg-config. Honours CC, CFLAGS, CPPFLAGS, LDFLAGS,
# DESTDIR and the usual directory variables, so dpkg-buildflags work.

PKG_CONFIG ?= pkg-config
CC ?= cc
CLANG ?= clang

prefix ?= /usr
sbindir ?= $(prefix)/sbin
libexecdir ?= $(prefix)/libexec
includedir ?= $(prefix)/include
sysconfdir ?= /etc
mandir ?= $(prefix)/share/man
unitdir ?= $(prefix)/lib/systemd/system
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
libdir ?= $(prefix)/lib$(if $(MULTIARCH),/$(MULTIARCH))
# The PAM module goes where libpam looks (pkg-config's libdir of pam), or,
# when libdir is given (make libdir=... as the RPM spec does), under it:
# one libdir for the library and the module.
PAM_LIBDIR := $(shell $(PKG_CONFIG) --variable=libdir pam 2>/dev/null || echo /lib/x86_64-linux-gnu)
pamdir ?= $(if $(filter command line environment%,$(origin libdir)),$(libdir),$(if $(PAM_LIBDIR),$(PAM_LIBDIR),/lib/x86_64-linux-gnu))/security

# The NSS module goes where libc looks for libnss_*.so.2: the multiarch lib
# directory (as libnss-systemd's), or libdir when libdir is given.
nssdir ?= $(if $(filter command line environment%,$(origin libdir)),$(libdir),/lib$(if $(MULTIARCH),/$(MULTIARCH)))
NSS_DIR ?= /var/lib/tokengate-nss

HELPER_PATH ?= $(libexecdir)/tokengate/tokengate-helper
CONFIG_PATH ?= $(sysconfdir)/security/tokengate.conf

B := build
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
ABS_B := $(abspath $(B))

WARN := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wcast-qual -Wwrite-strings -Wundef \
	-Wno-unused-parameter
HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fno-strict-overflow \
	-fstack-clash-protection
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(HARDEN) -Iinclude -Ilib -MMD -MP
LDHARDEN := -Wl,-z,relro -Wl,-z,now -Wl,--as-needed

PKGS_LIB := jansson libcrypto
LIB_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS_LIB) 2>/dev/null)
# libcurl, libcrypt and libqrencode are dlopen'ed where first needed (http.c,
# offline_password.c, qr.c), so a token login maps libjansson and libcrypto only.
LIB_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS_LIB) 2>/dev/null) -ldl
PAM_LIBS := -lpam
JWT_LIBS := $(shell $(PKG_CONFIG) --libs libjwt 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
PAMTEST_LIBS := $(shell $(PKG_CONFIG) --libs libpamtest 2>/dev/null)

LIB_SRC := lib/rc.c lib/util.c lib/b64url.c lib/json.c lib/jwk.c lib/jwks.c \
	lib/sig.c lib/policy.c lib/claims.c lib/token.c lib/config.c \
	lib/config_access.c lib/file.c lib/audit.c lib/http.c lib/cache.c \
	lib/keysource.c lib/circuit.c lib/oauth.c lib/store.c lib/store_dir.c lib/session.c \
	lib/ctx.c lib/issuer.c lib/issuer_token.c lib/grant.c lib/chain.c lib/offline_password.c lib/uuid.c lib/lockout.c \
	lib/qr.c \
	lib/metrics.c lib/authproof.c lib/usermap.c lib/userid.c lib/userdb.c lib/strength.c
LIB_OBJ := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
PROTO_OBJ := $(B)/lib/proto.o

MOD_SRC := pam/pam_tokengate.c pam/module_args.c pam/module_helper.c \
	pam/module_conv.c pam/module_result.c
HELPER_SRC := pam/helper_main.c pam/helper_process.c pam/helper_audit.c pam/helper_auth.c \
	pam/helper_prompt.c pam/helper_credential.c pam/helper_session.c \
	pam/helper_device.c pam/helper_common.c pam/helper_token.c pam/helper_provision.c
CTL_SRC := tools/tokengatectl.c tools/ctl_validate.c tools/ctl_mint.c tools/ctl_sign.c \
	tools/ctl_status.c tools/ctl_session.c tools/ctl_health.c tools/ctl_cleanup.c \
	tools/ctl_metrics.c tools/ctl_common.c tools/ctl_check.c tools/ctl_user.c \
	tools/ctl_audit.c tools/ctl_audit_read.c tools/ctl_audit_parse.c

NSS_SRC := nss/nss_db.c nss/nss_passwd.c nss/nss_group.c nss/nss_initgroups.c

ALL := $(B)/libtokengate.so $(B)/libtokengate.a $(B)/pam_tokengate.so \
	$(B)/tokengate-helper $(B)/tokengatectl $(B)/libnss_tokengate.so.2

.PHONY: all clean check check-run deps demo demo-run bench bench-run fuzz fuzz-build \
	install test-build asan deb rpm
all: $(ALL)

$(B)/lib/%.o: lib/%.c include/tokengate.h lib/tg_internal.h lib/config_internal.h lib/proto.h lib/http.h lib/cache.h lib/keysource.h lib/circuit.h lib/oauth.h
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(LIB_CFLAGS) -fPIC -fvisibility=hidden $(CFLAGS) -c -o $@ $<

# Without the build packages, say what to do rather than fail on a missing
# header: the one apt-get line, from tests/tools/ensure-deps.sh (the only
# copy of the package list); `make deps` runs it as root.
$(B)/.build-deps:
	@{ $(PKG_CONFIG) --exists jansson libcrypto libcurl 2>/dev/null && \
	   [ -e /usr/include/security/pam_modules.h ] && [ -e /usr/include/crypt.h ]; } || \
	 { echo "tokengate: the build packages are missing." >&2; \
	   sh tests/tools/ensure-deps.sh --hint; exit 1; }
	@mkdir -p $(@D) && touch $@

$(LIB_OBJ) $(PROTO_OBJ): | $(B)/.build-deps

$(B)/libtokengate.a: $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libtokengate.so: $(LIB_OBJ) lib/libtokengate.map
	@echo "  CC      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,-soname,libtokengate.so.0 \
		-Wl,--version-script=lib/libtokengate.map $(LDHARDEN) $(LDFLAGS) \
		-o $@ $(LIB_OBJ) $(LIB_LIBS)

# The PAM module: thin, no libtokengate.so, no crypto, no network. It links
# the dependency-free framing and audit code only.
$(B)/pam/%.o: pam/%.c pam/module.h lib/proto.h include/tokengate.h | $(B)/.build-deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -fPIC -fvisibility=hidden \
		-DTG_HELPER_PATH='"$(HELPER_PATH)"' $(CFLAGS) -c -o $@ $<

$(B)/pam_tokengate.so: $(MOD_SRC:pam/%.c=$(B)/pam/%.o) $(PROTO_OBJ) $(B)/lib/audit.o $(B)/lib/rc.o pam/pam_tokengate.map
	@echo "  CC      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,--version-script=pam/pam_tokengate.map $(LDHARDEN) \
		$(LDFLAGS) -o $@ $(filter %.o,$^) $(PAM_LIBS)

# The test build of the module: it runs the test build of the helper
# (below), takes a helper= argument so the tests can point it at broken
# helpers, and clock=. (Makefile: the helper path is set here.)
$(B)/test/pam/%.o: pam/%.c pam/module.h lib/proto.h include/tokengate.h Makefile | $(B)/.build-deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DTG_TESTING \
		-DTG_HELPER_PATH='"$(ABS_B)/test/tokengate-helper"' $(CFLAGS) -c -o $@ $<

$(B)/test/pam_tokengate.so: $(MOD_SRC:pam/%.c=$(B)/test/pam/%.o) $(PROTO_OBJ) $(B)/lib/audit.o $(B)/lib/rc.o
	@echo "  CC      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,--version-script=pam/pam_tokengate.map $(LDHARDEN) \
		$(LDFLAGS) -o $@ $(filter %.o,$^) $(PAM_LIBS)

# The NSS module: libc only, loaded into every process that looks up a
# user. The shipped build reads NSS_DIR, compiled in, and no environment;
# the test build (TG_TESTING) reads its directory from TG_NSS_DIR.
NSS_DEPS := nss/nss_tokengate.h lib/username.h Makefile
$(B)/nss/%.o: nss/%.c $(NSS_DEPS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -fPIC -fvisibility=hidden \
		-DTG_NSS_DIR='"$(NSS_DIR)"' $(CFLAGS) -c -o $@ $<

$(B)/test/nss/%.o: nss/%.c $(NSS_DEPS)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) -fPIC -fvisibility=hidden -DTG_TESTING \
		-DTG_NSS_DIR='"$(NSS_DIR)"' $(CFLAGS) -c -o $@ $<

$(B)/libnss_tokengate.so.2: $(NSS_SRC:nss/%.c=$(B)/nss/%.o) nss/nss_tokengate.map
	@echo "  CC      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,-soname,libnss_tokengate.so.2 \
		-Wl,--version-script=nss/nss_tokengate.map $(LDHARDEN) $(LDFLAGS) \
		-o $@ $(filter %.o,$^)

$(B)/test/libnss_tokengate.so.2: $(NSS_SRC:nss/%.c=$(B)/test/nss/%.o) nss/nss_tokengate.map
	@echo "  CC      $@"
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,-soname,libnss_tokengate.so.2 \
		-Wl,--version-script=nss/nss_tokengate.map $(LDHARDEN) $(LDFLAGS) \
		-o $@ $(filter %.o,$^)

$(B)/helper/%.o: pam/%.c pam/helper.h lib/proto.h include/tokengate.h lib/tg_internal.h | $(B)/.build-deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(LIB_CFLAGS) -fPIE \
		-DTG_CONFIG_PATH='"$(CONFIG_PATH)"' $(CFLAGS) -c -o $@ $<

$(B)/tokengate-helper: $(HELPER_SRC:pam/%.c=$(B)/helper/%.o) $(PROTO_OBJ) $(B)/libtokengate.a
	@echo "  CC      $@"
	$(Q)$(CC) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.o,$^) $(B)/libtokengate.a $(LIB_LIBS)

# The test build of the helper, run by the test module: -DTG_TESTING, so it
# honours the module's clock= offset (TG_T_CLOCK), which the shipped one
# ignores.
$(B)/test/helper/%.o: pam/%.c pam/helper.h lib/proto.h include/tokengate.h lib/tg_internal.h | $(B)/.build-deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(LIB_CFLAGS) -fPIE -DTG_TESTING \
		-DTG_CONFIG_PATH='"$(CONFIG_PATH)"' $(CFLAGS) -c -o $@ $<

$(B)/test/tokengate-helper: $(HELPER_SRC:pam/%.c=$(B)/test/helper/%.o) $(PROTO_OBJ) $(B)/libtokengate.a
	@echo "  CC      $@"
	$(Q)$(CC) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.o,$^) $(B)/libtokengate.a $(LIB_LIBS)

$(B)/tools/%.o: tools/%.c tools/ctl.h tools/ctl_sign.h tools/ctl_audit.h include/tokengate.h | $(B)/.build-deps
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CPPFLAGS) $(BASE_CFLAGS) $(LIB_CFLAGS) -fPIE \
		-DTG_CONFIG_PATH='"$(CONFIG_PATH)"' $(CFLAGS) -c -o $@ $<

$(B)/tokengatectl: $(CTL_SRC:tools/%.c=$(B)/tools/%.o) $(B)/libtokengate.a
	@echo "  CC      $@"
	$(Q)$(CC) -pie $(LDHARDEN) $(LDFLAGS) -o $@ $(filter %.o,$^) $(B)/libtokengate.a \
		$(LIB_LIBS)

include tests/tests.mk

# ---- dependencies: check and demo install what they need ----
deps:
	@sh tests/tools/ensure-deps.sh

check: deps
	@$(MAKE) --no-print-directory check-run

demo: deps
	@$(MAKE) --no-print-directory demo-run

demo-run: all $(B)/test/pam_tokengate.so $(B)/test/tokengate-helper $(B)/tests/logsink \
		$(B)/tests/pamseq
	@sh tests/demo.sh

bench: deps
	@$(MAKE) --no-print-directory bench-run

install: all
	install -d $(DESTDIR)$(pamdir) $(DESTDIR)$(libexecdir)/tokengate \
		$(DESTDIR)$(sbindir) $(DESTDIR)$(libdir) $(DESTDIR)$(includedir) \
		$(DESTDIR)$(sysconfdir)/security $(DESTDIR)$(mandir)/man5 \
		$(DESTDIR)$(mandir)/man8 $(DESTDIR)$(nssdir)
	# not enabled: /etc/nsswitch.conf is the administrator's (docs/USERS.md)
	install -m 0644 $(B)/libnss_tokengate.so.2 $(DESTDIR)$(nssdir)/libnss_tokengate.so.2
	install -m 0644 $(B)/pam_tokengate.so $(DESTDIR)$(pamdir)/pam_tokengate.so
	install -m 0755 $(B)/tokengate-helper $(DESTDIR)$(HELPER_PATH)
	install -m 0755 $(B)/tokengatectl $(DESTDIR)$(sbindir)/tokengatectl
	install -m 0644 $(B)/libtokengate.so $(DESTDIR)$(libdir)/libtokengate.so.0
	ln -sf libtokengate.so.0 $(DESTDIR)$(libdir)/libtokengate.so
	install -m 0644 include/tokengate.h $(DESTDIR)$(includedir)/tokengate.h
	test -e $(DESTDIR)$(CONFIG_PATH) || \
		install -m 0600 conf/tokengate.conf $(DESTDIR)$(CONFIG_PATH)
	install -m 0644 docs/pam_tokengate.8 docs/tokengatectl.8 $(DESTDIR)$(mandir)/man8/
	install -m 0644 docs/tokengate.conf.5 $(DESTDIR)$(mandir)/man5/
	install -d $(DESTDIR)$(unitdir)
	install -m 0644 packaging/systemd/tokengate-refresh.service \
		packaging/systemd/tokengate-refresh.timer \
		packaging/systemd/tokengate-cleanup.service \
		packaging/systemd/tokengate-cleanup.timer $(DESTDIR)$(unitdir)/

# The Debian package (packaging/debian): a copy of the tracked tree with
# debian/ beside it, dpkg-buildpackage, lintian at warning level.
VERSION := $(shell sed -n 's/^\#define TG_VERSION "\(.*\)"/\1/p' include/tokengate.h)
deb:
	@rm -rf $(B)/deb && mkdir -p $(B)/deb/tokengate-$(VERSION)
	@git ls-files --cached --others --exclude-standard | grep -v '^packaging/debian/' | \
		tar -cf - -T - | tar -xf - -C $(B)/deb/tokengate-$(VERSION)
	@cp -r packaging/debian $(B)/deb/tokengate-$(VERSION)/debian
	cd $(B)/deb/tokengate-$(VERSION) && dpkg-buildpackage -us -uc -b
	lintian --fail-on warning --suppress-tags-from-file packaging/lintian-ignored \
		$(B)/deb/libpam-tokengate_$(VERSION)_*.deb $(B)/deb/libnss-tokengate_$(VERSION)_*.deb
	@ls -l $(B)/deb/*.deb

# The RPM package (packaging/rpm/tokengate.spec) from the working tree, in
# $(B)/rpm; on Debian with rpmbuild --nodeps. `make check` runs it too.
rpm:
	@B='$(B)' sh tests/rpm/run.sh

clean:
	rm -rf $(B)

# Header dependencies, as the compiler found them (-MMD -MP): a changed
# header rebuilds every object that includes it.
-include $(wildcard $(B)/*/*.d $(B)/*/*/*.d)
