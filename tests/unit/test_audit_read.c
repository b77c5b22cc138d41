/*
 * test_audit_read.c - tokengatectl audit's reader (tools/ctl_audit_parse.c)
 * against the writer (lib/audit.c): every kind of value rendered by
 * tg_audit_render, logfmt and JSON, parsed back to the same bytes; a value
 * never becomes a field; what the writer never writes is refused whole;
 * where a syslog line's body is.
 */
#include "testutil.h"

#include "ctl_audit.h"

static char *render(const char *key, const char *value, int json)
{
	tg_audit *a = tg_audit_new("auth");
	tg_audit_add(a, "result", "allow");
	tg_audit_add(a, key, value);
	tg_audit_add(a, "user", "alice");
	char *s = tg_audit_render(a, json);
	tg_audit_free(a);
	assert_non_null(s);
	return s;
}

/* The value as it comes back: the JSON form has U+FFFD for each invalid
 * byte (lib/audit.c), the logfmt form every byte. */
static void lossy(const char *v, char *out, size_t n)
{
	size_t o = 0, len = strlen(v);
	for (size_t i = 0; i < len && o + 4 < n;) {
		unsigned cp;
		size_t k = tg_utf8_decode((const unsigned char *)v + i, len - i, &cp);
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, v + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
}

/* value rendered both ways and parsed back: 4 fields, want as detail. */
static void round_trip(const char *value, const char *want_logfmt)
{
	char want_json[1024];
	lossy(want_logfmt, want_json, sizeof(want_json));
	for (int json = 0; json <= 1; json++) {
		struct ctl_audit_rec r;
		char *s = render("detail", value, json);
		if (ctl_audit_parse(s, strlen(s), &r) != 0)
			fail_msg("not read back (%s): %s", json ? "json" : "logfmt", s);
		assert_int_equal(r.n, 4);
		assert_string_equal(ctl_audit_get(&r, "event"), "auth");
		assert_string_equal(ctl_audit_get(&r, "result"), "allow");
		assert_string_equal(ctl_audit_get(&r, "user"), "alice");
		assert_string_equal(ctl_audit_get(&r, "detail"), json ? want_json : want_logfmt);
		ctl_audit_rec_free(&r);
		free(s);
	}
}

static void test_every_escape(void **state)
{
	(void)state;
	static const char *values[] = {
		"plain", "two words", "a=b", "\"quoted\"", "back\\slash", "new\nline",
		"cr\rlf", "tab\there", "\x01\x02\x1b[31m\x7f", "caf\xc3\xa9",	/* é stays raw */
		"\xc2\x85nel", "\xe2\x80\xa8ls", "\xe2\x80\xaerlo", "\xe2\x81\xa6lri",
		"\xef\xbb\xbf" "bom", "z\xe2\x80\x8bw", "\xd8\x9c" "alm", "\xf0\x9f\x94\x91 key",
		"\xff invalid", "\xc3 cut", "\xed\xa0\x80 surrogate", "\xc0\xaf overlong",
		"\xf4\x90\x80\x80 too big", "-", "=", "\"", "\\", " ", "...",
		"user=bob result=allow", "x\" user=bob y=\"z", "\\\" user=bob",
		"\\x41 not an escape", "\\u0041 nor this",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		round_trip(values[i], values[i]);
	round_trip("", "-"); /* tg_audit_add writes a missing value as "-" */
}

/* A key given again with "" is written "", and read back as "". */
static void test_empty_value(void **state)
{
	(void)state;
	tg_audit *a = tg_audit_new("auth");
	tg_audit_add(a, "user", "x");
	tg_audit_add(a, "user", "");
	char *s = tg_audit_render(a, 0);
	struct ctl_audit_rec r;
	assert_int_equal(ctl_audit_parse(s, strlen(s), &r), 0);
	assert_string_equal(ctl_audit_get(&r, "user"), "");
	ctl_audit_rec_free(&r);
	free(s);
	tg_audit_free(a);
}

/* Cut at 200 bytes of input, whole characters, then "...". */
static void test_cut(void **state)
{
	(void)state;
	char v[400], want[400];
	memset(v, 'a', 250);
	v[250] = '\0';
	memcpy(want, v, 200);
	strcpy(want + 200, "...");
	round_trip(v, want);
	memset(v, ' ', 250); /* quoted: the "..." inside the quotes */
	memcpy(want, v, 200);
	round_trip(v, want);
	/* 199 bytes then a 2-byte character: cut before it */
	memset(v, 'b', 199);
	strcpy(v + 199, "\xc3\xa9\xc3\xa9");
	memcpy(want, v, 199);
	strcpy(want + 199, "...");
	round_trip(v, want);
	/* control bytes: each escape is one input byte */
	memset(v, '\x01', 201);
	v[201] = '\0';
	memcpy(want, v, 200);
	strcpy(want + 200, "...");
	round_trip(v, want);
}

/* Random values, every byte but NUL: each read back exactly (logfmt), or
 * with U+FFFD for invalid bytes (JSON). */
static void test_random(void **state)
{
	(void)state;
	unsigned seed = 12345;
	char v[200];
	for (int k = 0; k < 20000; k++) {
		size_t n = (size_t)(rand_r(&seed) % 199);
		for (size_t i = 0; i < n; i++) {
			int c = rand_r(&seed) % 4 ? rand_r(&seed) % 256 : "\"\\= \n"[rand_r(&seed) % 5];
			v[i] = (char)(c ? c : 'x');
		}
		v[n] = '\0';
		round_trip(v, n ? v : "-");
	}
}

/* Neither a value nor the line around a record makes a field. */
static void test_no_forged_fields(void **state)
{
	(void)state;
	struct ctl_audit_rec r;
	const char *s = "event=auth result=deny user=bob detail=\"x user=alice result=allow\"";
	assert_int_equal(ctl_audit_parse(s, strlen(s), &r), 0);
	assert_int_equal(r.n, 4);
	assert_string_equal(ctl_audit_get(&r, "user"), "bob");
	assert_string_equal(ctl_audit_get(&r, "result"), "deny");
	ctl_audit_rec_free(&r);
	s = "event=auth user=\"ali ce\"";
	assert_int_equal(ctl_audit_parse(s, strlen(s), &r), 0);
	assert_string_equal(ctl_audit_get(&r, "user"), "ali ce");
	assert_null(ctl_audit_get(&r, "ce\""));
	ctl_audit_rec_free(&r);
}

/* What the writer never writes: refused whole, never half-read. */
static void test_refused(void **state)
{
	(void)state;
	static const char *bodies[] = {
		"", " ", "user=alice event=auth", "event=auth user=alice user=bob",
		"event=auth  user=alice", "event=auth user=alice ", " event=auth", "event=auth user=",
		"event=auth user", "event=auth =x", "event=auth us-er=x", "event=auth user=\"a",
		"event=auth user=\"a\"b", "event=auth user=a\"b", "event=auth user=a\\b",
		"event=auth user=\"\\q\"", "event=auth user=\"\\x0\"", "event=auth user=\"\\x00\"",
		"event=auth user=\"\\xzz\"", "event=auth user=\"\\u00\"", "event=auth user=\"\\u0000\"",
		"event=auth user=\"\\ud800\"", "event=auth user=\"a\x01\"", "event=auth user=\"a\tb\"",
		"event=auth user=\"\xff\"", "event=auth user=\xc3\xa9", "event=auth user=\"\xc3\"",
		"event=auth user=a=b", "{\"event\":\"auth\",\"user\":1}", "{\"user\":\"a\",\"event\":\"auth\"}",
		"{\"event\":\"auth\",\"user\":\"a\",\"user\":\"b\"}", "{\"event\":\"auth\"} x",
		"[\"event\"]", "{\"event\":\"auth\",\"a b\":\"c\"}", "{\"event\":\"auth\",\"u\":\"\\u0000\"}",
		"{\"event\":null}", "{}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct ctl_audit_rec r;
		if (ctl_audit_parse(bodies[i], strlen(bodies[i]), &r) != -1)
			fail_msg("read: [%s]", bodies[i]);
		assert_null(r.f);
		assert_null(r.text);
	}
	/* a NUL inside, and too many fields */
	struct ctl_audit_rec r;
	assert_int_equal(ctl_audit_parse("event=a\0 b=c", 12, &r), -1);
	char many[4096] = "event=x";
	for (int i = 0; i < CTL_AUDIT_FIELDS; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), " k%d=v", i);
	assert_int_equal(ctl_audit_parse(many, strlen(many), &r), -1);
}

static void expect_line(const char *line, const char *time, const char *body)
{
	const char *b = NULL;
	size_t bl = 0;
	char t[CTL_AUDIT_TIME_MAX];
	int got = ctl_audit_line(line, strlen(line), &b, &bl, t, sizeof(t));
	if (body == NULL) {
		if (got)
			fail_msg("a tokengate line: [%s]", line);
		return;
	}
	if (!got)
		fail_msg("not a tokengate line: [%s]", line);
	assert_string_equal(t, time);
	assert_int_equal(bl, strlen(body));
	assert_memory_equal(b, body, bl);
}

static void test_lines(void **state)
{
	(void)state;
	expect_line("<86>Dec  2 01:56:33 tokengate[11476]: event=auth", "Dec  2 01:56:33",
		    "event=auth");
	expect_line("Dec 12 01:56:33 host tokengate[1]: event=auth x=y", "Dec 12 01:56:33",
		    "event=auth x=y");
	expect_line("Dec 02 01:56:33.123456 host tokengate: event=a", "Dec 02 01:56:33.123456",
		    "event=a");
	expect_line("2026-12-02T01:56:33.123456+01:00 host tokengate[7]: {\"event\":\"a\"}",
		    "2026-12-02T01:56:33.123456+01:00", "{\"event\":\"a\"}");
	expect_line("2026-12-02T01:56:33Z tokengate[7]: event=a", "2026-12-02T01:56:33Z", "event=a");
	expect_line("Dec  2 01:56:33 host sshd[9]: pam_tokengate(sshd:auth): event=auth r=d",
		    "Dec  2 01:56:33", "event=auth r=d");
	expect_line("<83>Dec  2 01:56:33 pamseq: pam_tokengate(x:auth): event=auth", "Dec  2 01:56:33",
		    "event=auth");
	/* another program's, whatever its message holds */
	expect_line("Dec  2 01:56:33 host sshd[9]: Invalid user tokengate[1]: event=auth", NULL, NULL);
	expect_line("Dec  2 01:56:33 host sshd[9]: x tokengate[1]: event=auth", NULL, NULL);
	expect_line("Dec  2 01:56:33 host sshd[9]: pam_tokengate(sshd:auth): pam_putenv: x", NULL,
		    NULL);
	expect_line("Dec  2 01:56:33 host tokengatex[1]: event=auth", NULL, NULL);
	expect_line("Dec  2 01:56:33 host tokengate[1]:event=auth", NULL, NULL);
	expect_line("Dec  2 01:56:33 host tokengate[]: event=auth", NULL, NULL);
	expect_line("tokengate[1]: event=auth", NULL, NULL);
	expect_line("host tokengate[1]: event=auth", NULL, NULL);
	expect_line("2026-12-02 01:56:33 host tokengate[1]: event=auth", NULL, NULL);
	expect_line("", NULL, NULL);
	expect_line("<86>", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_escape),
		cmocka_unit_test(test_empty_value),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_no_forged_fields),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
