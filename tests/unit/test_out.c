/* test_out.c - escaping of hostile bytes in text and JSON */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/hash.h"
#include "common/out.h"
#include "tests/unit/unit.h"

static char *
vis(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cfir_vis(f, s, n);
	fclose(f);
	return buf;
}

static void
utf8_strict(void)
{
	CHECK(cfir_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15));
	CHECK(!cfir_utf8_valid("\xff", 1));
	CHECK(!cfir_utf8_valid("\xc0\xaf", 2));		/* overlong '/' */
	CHECK(!cfir_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	CHECK(!cfir_utf8_valid("\xf4\x90\x80\x80", 4));	/* past U+10FFFF */
	CHECK(!cfir_utf8_valid("\xe2\x82", 2));		/* cut short */
	CHECK(!cfir_utf8_valid("a\0b", 3));
}

static void
vis_escapes(void)
{
	cleanup_free char *a = vis("a\x1b[31mred\n\t\\ \xff\xfe", 15);
	cleanup_free char *b = vis("x\xe2\x80\xaey\xc2\x9b", 7);	/* RLO, CSI */
	cleanup_free char *c = vis("caf\xc3\xa9", 5);

	CHECK_STR(a, "a\\x1b[31mred\\n\\t\\\\ \\xff\\xfe");
	CHECK_STR(b, "x\\u{202e}y\\u{009b}");
	CHECK_STR(c, "caf\xc3\xa9");
}

static void
json_always_valid(void)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_cjson cJSON *back = NULL;
	cleanup_free char *s = NULL;

	cJSON_AddStringToObject(o, "bad", "a\xff" "b\x1b" "c\xe2\x80\xae" "d\n");
	s = cfir_json_print(o, NULL);
	CHECK_STR(s, "{\"bad\":\"a\\ufffdb\\u001bc\\u202ed\\n\"}");
	back = cJSON_Parse(s);
	CHECK(back != NULL);
}

static void
json_bytes_keep_exact(void)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *s = NULL;

	cfir_json_add_bytes(o, "ok", "plain", 5);
	cfir_json_add_bytes(o, "name", "a\0b\xff", 4);
	s = cfir_json_print(o, NULL);
	CHECK_STR(s, "{\"ok\":\"plain\",\"name\":\"a\\u001ab\\ufffd\",\"name_hex\":\"610062ff\"}");
}

static void
json_numbers(void)
{
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cleanup_free char *s = NULL;

	cfir_json_add_num(o, "big", 4294967296.0 * 1024);
	cfir_json_add_num(o, "frac", 0.5);
	cfir_json_add_num(o, "neg", -3);
	s = cfir_json_print(o, NULL);
	CHECK_STR(s, "{\"big\":4398046511104,\"frac\":0.5,\"neg\":-3}");
}

static void
sha256_vectors(void)
{
	char hex[CFIR_SHA256_HEX];
	struct cfir_hash *h = cfir_hash_new();

	cfir_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cfir_hash_update(h, "a", 1);
	cfir_hash_update(h, "bc", 2);
	cfir_hash_final_hex(h, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	cfir_hash_final_hex(h, hex);	/* reset after final: empty input */
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	cfir_hash_free(h);
	{
		unsigned char *raw = NULL;
		size_t len = 0;

		CHECK(cfir_base64_decode("eyJhIjoxfQ==", &raw, &len) == 0 && len == 7 &&
		      memcmp(raw, "{\"a\":1}", 7) == 0);
		free(raw);
		CHECK(cfir_base64_decode("abc", &raw, &len) < 0);
		CHECK(cfir_base64_decode("", &raw, &len) < 0);
	}
}

/* A megabyte value in a table row: its start shown, how long it was said, the row one line. */
static void
long_cell(void)
{
	static const struct cfir_field cols[] = {
		{ "name", "NAME", CFIR_FMT_STR, 8, 0, NULL },
		{ "id", "ID", CFIR_FMT_STR, 0, 0, NULL },
		{ 0 },
	};
	char *buf = NULL, *big = malloc(1u << 20);
	size_t len = 0;
	cJSON *row = cJSON_CreateObject();
	struct cfir_out o = { .format = CFIR_FORMAT_TEXT };

	memset(big, 'A', 1u << 20);
	big[0] = '\n';
	cfir_json_add_bytes(row, "name", big, 1u << 20);
	cfir_json_add_str(row, "id", "abc");
	o.fp = open_memstream(&buf, &len);
	CHECK(cfir_out_row(&o, row, cols) == 0);
	fclose(o.fp);
	CHECK(len < 700);
	CHECK(strstr(buf, "\\nAAA") == buf);
	CHECK(strstr(buf, "...(1048576 bytes in all) abc\n") != NULL);
	CHECK(strchr(buf, '\n') == buf + len - 1);
	free(buf);
	free(big);
	cJSON_Delete(row);
}

UNIT_SUITE(out_tests) = {
	{ "out: strict UTF-8", utf8_strict },
	{ "out: text escapes control, C1, bidi and invalid bytes", vis_escapes },
	{ "out: JSON is valid whatever the strings hold", json_always_valid },
	{ "out: bytes keep their exact value in _hex", json_bytes_keep_exact },
	{ "out: numbers print as integers when whole", json_numbers },
	{ "out: a text cell is cut at 512 bytes, its length said", long_cell },
	{ "hash: SHA-256 vectors, streaming and reset; base64 with padding", sha256_vectors },
	UNIT_END,
};
