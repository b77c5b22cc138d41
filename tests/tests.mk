# tests.mk - test programs and the check target (included by Makefile).

VECTORS ?= $(abspath ../shared/vectors/wycheproof)
UNITS := b64url json audit proto config file http attacks wycheproof store results
UNITS += circuit chain clock usermap userdb audit_read
UNIT_BINS := $(UNITS:%=$(B)/tests/unit_%)
ASAN_BINS := $(UNITS:%=$(B)/asan/unit_%)
TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Iinclude -Ilib \
	-Itools $(LIB_CFLAGS) -DTG_VECTORS='"$(VECTORS)"'
UNIT_EXTRA := tools/ctl_sign.c tools/ctl_audit_parse.c
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

$(B)/tests/unit_%: tests/unit/test_%.c tests/unit/testutil.h $(B)/libtokengate.a $(PROTO_OBJ) $(UNIT_EXTRA)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(UNIT_EXTRA) $(B)/libtokengate.a $(PROTO_OBJ) \
		$(CMOCKA_LIBS) $(JWT_LIBS) $(LIB_LIBS)

# The module's spawn code, from the test build's objects.
SPAWN_OBJ := $(B)/test/pam/module_helper.o $(B)/test/pam/module_result.o \
	$(B)/test/pam/module_conv.o $(PROTO_OBJ) $(B)/lib/audit.o $(B)/lib/rc.o
$(B)/tests/unit_spawn: tests/unit/test_spawn.c $(SPAWN_OBJ) $(B)/tests/fake-helper-ok
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Ipam -DFAKE_OK='"$(ABS_B)/tests/fake-helper-ok"' -o $@ $< \
		$(SPAWN_OBJ) $(CMOCKA_LIBS) -lpam

# The result table with the module's mapping that reads it: the shipped
# module's object and the library objects the module links.
RESULTS_OBJ := $(B)/pam/module_result.o $(PROTO_OBJ) $(B)/lib/audit.o $(B)/lib/rc.o
$(B)/tests/unit_results: tests/unit/test_results.c tests/unit/testutil.h $(RESULTS_OBJ)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -Ipam -o $@ $< $(RESULTS_OBJ) $(CMOCKA_LIBS) -lpam

RESULTS_SRC := pam/module_result.c lib/proto.c lib/audit.c lib/rc.c
$(B)/asan/unit_results: tests/unit/test_results.c tests/unit/testutil.h $(RESULTS_SRC) pam/module.h
	@mkdir -p $(@D)
	@echo "  CC      $@ (asan+ubsan)"
	$(Q)$(CC) $(TEST_CFLAGS) $(SAN) -Ipam -o $@ $< $(RESULTS_SRC) $(CMOCKA_LIBS) -lpam

# The same unit tests, library and all, under AddressSanitizer + UBSan.
$(B)/asan/unit_%: tests/unit/test_%.c tests/unit/testutil.h $(LIB_SRC) lib/proto.c $(UNIT_EXTRA)
	@mkdir -p $(@D)
	@echo "  CC      $@ (asan+ubsan)"
	$(Q)$(CC) $(TEST_CFLAGS) $(SAN) -o $@ $< $(LIB_SRC) lib/proto.c $(UNIT_EXTRA) \
		$(CMOCKA_LIBS) $(JWT_LIBS) $(LIB_LIBS)

# Test tools.
$(B)/tests/logsink: tests/tools/logsink.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $<

FAKES := crash hang garbage badversion silent exit1 liar ok
FAKE_BINS := $(FAKES:%=$(B)/tests/fake-helper-%)
$(B)/tests/fake-helper-%: tests/tools/fakehelper.c $(PROTO_OBJ)
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -DFAKE_MODE='"$*"' -o $@ $< $(PROTO_OBJ)

$(B)/tests/libjwt-sign: tests/tools/libjwt-sign.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(JWT_LIBS)

$(B)/tests/test_pam: tests/integration/test_pam.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(PAMTEST_LIBS) $(CMOCKA_LIBS) -lpam

$(B)/tests/pamseq: tests/session/pamseq.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(PAMTEST_LIBS) -lpam

$(B)/tests/pamdrive: tests/security/pamdrive.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< -lpam

$(B)/tests/dlopen_check: tests/tools/dlopen_check.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< -ldl

$(B)/tests/nsscheck: tests/nss/nsscheck.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -pthread -o $@ $< -ldl

$(B)/tests/oauthctl: tests/tools/oauthctl.c $(B)/libtokengate.a
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $< $(B)/libtokengate.a $(LIB_LIBS)

TEST_TOOLS := $(B)/tests/oauthctl $(B)/tests/unit_spawn $(B)/tests/dlopen_check $(B)/test/pam_tokengate.so \
	$(B)/test/tokengate-helper $(B)/tests/logsink $(FAKE_BINS) \
	$(B)/tests/libjwt-sign $(B)/tests/test_pam $(B)/tests/pamseq $(B)/tests/pamdrive \
	$(B)/tests/nsscheck $(B)/test/libnss_tokengate.so.2

test-build: all $(UNIT_BINS) $(ASAN_BINS) $(TEST_TOOLS)

check-run: test-build
	@VECTORS='$(VECTORS)' B='$(B)' CLANG='$(CLANG)' sh tests/run.sh

# ---- fuzzing (clang libFuzzer + ASan/UBSan) ----
FUZZERS := b64url json jwt jwks config proto
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/fuzz_%)
fuzz-build: $(FUZZ_BINS)

# The frame parser both sides link (the module inside sshd and sudo, the
# helper): lib/proto.c alone, as the module has it.
$(B)/fuzz/fuzz_proto: tests/fuzz/fuzz_proto.c lib/proto.c lib/proto.h
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	$(Q)$(CLANG) -std=gnu11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror -Ilib \
		-fsanitize=fuzzer,address,undefined -o $@ $< lib/proto.c

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRC) tests/fuzz/fuzz_jwks_seed.h
	@mkdir -p $(@D)
	@echo "  CLANG   $@"
	$(Q)$(CLANG) -std=gnu11 -D_GNU_SOURCE -g -O1 -Iinclude -Ilib -Itests/fuzz $(LIB_CFLAGS) \
		-fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC) $(LIB_LIBS)

fuzz: $(FUZZ_BINS)
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-60} B='$(B)' sh tests/fuzz/run.sh $(FUZZERS)

# ---- benchmarks ----
$(B)/bench/bench_verify: tests/bench/bench_verify.c $(B)/libtokengate.a tools/ctl_sign.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Iinclude -Ilib -Itools $(LIB_CFLAGS) -o $@ $< \
		tools/ctl_sign.c $(B)/libtokengate.a $(LIB_LIBS)

$(B)/bench/bench_pam: tests/bench/bench_pam.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -o $@ $< -lpam

$(B)/bench/bench_ratio: tests/bench/bench_ratio.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $<

$(B)/bench/bench_nss: tests/bench/bench_nss.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) -std=gnu11 -D_GNU_SOURCE -O2 $(WARN) -o $@ $<

bench-run: all $(B)/tests/pamdrive $(B)/test/pam_tokengate.so $(B)/test/tokengate-helper $(B)/bench/bench_verify \
	$(B)/bench/bench_pam $(B)/bench/bench_ratio $(B)/bench/bench_nss
	@B='$(B)' sh tests/bench/run.sh
