/* test_b64url.c - strict base64url. */
#include "testutil.h"

static void decodes(const char *in, const char *want)
{
	unsigned char *out = NULL;
	size_t len = 0;
	assert_int_equal(tg_b64url_decode(in, strlen(in), &out, &len), TG_OK);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(out, want, len);
	free(out);
}

static void rejects(const char *in)
{
	unsigned char *out = (unsigned char *)"x";
	size_t len = 7;
	assert_int_equal(tg_b64url_decode(in, strlen(in), &out, &len), TG_E_MALFORMED);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	decodes("", "");
	decodes("Zg", "f");
	decodes("Zm8", "fo");
	decodes("Zm9v", "foo");
	decodes("Zm9vYg", "foob");
	decodes("Zm9vYmE", "fooba");
	decodes("Zm9vYmFy", "foobar");
	decodes("-_8", "\xfb\xff");
}

static void test_rejects_padding_and_alphabet(void **state)
{
	(void)state;
	rejects("Zg==");
	rejects("Zm8=");
	rejects("+/8");		/* standard alphabet */
	rejects("Zm9v YmFy");	/* whitespace */
	rejects("Zm9v\nYmFy");
	rejects("Zm9vY");	/* length mod 4 == 1 */
	rejects("Zh");		/* unused bits not zero: 'h' leaves 0b0001 */
	rejects("Zm9");		/* 'm9' leaves 2 bits = 01 */
	rejects("Zm9v\x80");
}

static void test_nul_inside(void **state)
{
	(void)state;
	unsigned char *out = NULL;
	size_t len;
	assert_int_equal(tg_b64url_decode("Zm\0v", 4, &out, &len), TG_E_MALFORMED);
}

static void test_roundtrip(void **state)
{
	(void)state;
	unsigned char buf[256];
	for (size_t n = 0; n < sizeof(buf); n++) {
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)(i * 37 + n);
		char *enc = tg_b64url_encode(buf, n);
		assert_non_null(enc);
		assert_null(strchr(enc, '='));
		unsigned char *dec = NULL;
		size_t len = 0;
		assert_int_equal(tg_b64url_decode(enc, strlen(enc), &dec, &len), TG_OK);
		assert_int_equal(len, n);
		if (n)
			assert_memory_equal(dec, buf, n);
		free(dec);
		free(enc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_rejects_padding_and_alphabet),
		cmocka_unit_test(test_nul_inside),
		cmocka_unit_test(test_roundtrip),
	};
	return cmocka_run_group_tests_name("b64url", tests, NULL, NULL);
}
