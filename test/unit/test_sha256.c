/*
 * test/unit/test_sha256.c: lib/sha256.c against the known answers of FIPS 180-4's examples
 * (NIST's "SHA256.pdf" and the CAVP short/long message vectors), and against itself when the
 * same message is fed in pieces of every size around the 64-byte block boundary.
 */
#include <check.h>
#include <stdint.h>
#include "lib/sha256.h"
#include "lib/string.h"
#include "test/unit/suites.h"
#include "test/unit/stubs.h"

static void expect_hex(const void *data, size_t length, const char *expected)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[SHA256_HEX_SIZE];

	sha256(data, length, digest);
	sha256_to_hex(digest, hex);
	ck_assert_str_eq(hex, expected);
}

START_TEST(empty_message)
{
	expect_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(abc)
{
	expect_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

/* 448 bits: the padding's 1 bit still fits, but the length does not: two blocks of padding. */
START_TEST(two_block_message)
{
	const char *message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	expect_hex(message, strlen(message),
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(message_of_896_bits)
{
	const char *message = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
			      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	expect_hex(message, strlen(message),
		   "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}
END_TEST

/* One million 'a's, fed 1000 at a time: many blocks, the length counter past 2^23 bits. */
START_TEST(million_a)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char chunk[1000], hex[SHA256_HEX_SIZE];
	struct sha256 hash;

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&hash);
	for (int i = 0; i < 1000; i++)
		sha256_update(&hash, chunk, sizeof(chunk));
	sha256_final(&hash, digest);
	sha256_to_hex(digest, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

/* Every message length from 0 to 200 hashed in one piece and in two pieces split at every
 * point gives the same digest: the partial-block bookkeeping is right at every boundary. */
START_TEST(pieces_agree_with_whole)
{
	uint8_t message[200], whole[SHA256_DIGEST_SIZE], pieces[SHA256_DIGEST_SIZE];
	struct sha256 hash;

	for (size_t i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)(i * 37 + 11);
	for (size_t length = 0; length <= sizeof(message); length++) {
		sha256(message, length, whole);
		for (size_t split = 0; split <= length; split++) {
			sha256_init(&hash);
			sha256_update(&hash, message, split);
			sha256_update(&hash, message + split, length - split);
			sha256_final(&hash, pieces);
			REQUIRE(memcmp(whole, pieces, sizeof(whole)) == 0,
				"length %zu split at %zu differs", length, split);
		}
	}
}
END_TEST

/* 55, 56 and 64 bytes: the lengths where the padding needs one or two blocks (the answers
 * are sha256sum's). */
START_TEST(padding_boundaries)
{
	char message[64];

	memset(message, 'x', sizeof(message));
	expect_hex(message, 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072");
	expect_hex(message, 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
	expect_hex(message, 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c");
}
END_TEST

Suite *sha256_suite(void)
{
	Suite *suite = suite_create("sha256");
	TCase *tests = tcase_create("sha256");

	tcase_add_test(tests, empty_message);
	tcase_add_test(tests, abc);
	tcase_add_test(tests, two_block_message);
	tcase_add_test(tests, message_of_896_bits);
	tcase_add_test(tests, million_a);
	tcase_add_test(tests, pieces_agree_with_whole);
	tcase_add_test(tests, padding_boundaries);
	suite_add_tcase(suite, tests);
	return suite;
}
