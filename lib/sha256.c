/*
 * lib/sha256.c: SHA-256 as FIPS 180-4 specifies it (sections 4.1.2, 4.2.2, 5.1.1, 6.2).
 * Implements lib/sha256.h.
 *
 * The message is processed in 64-byte blocks. Each block is expanded into a schedule of 64
 * words and mixed into the eight state words by 64 rounds. The last block is padded with a
 * 1 bit, zeroes, and the message length in bits, so that two messages of different lengths
 * never pad to the same blocks. All words are big-endian on the wire.
 */
#include "lib/sha256.h"
#include "lib/string.h"

/* The first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotate_right(uint32_t word, unsigned int bits)
{
	return (word >> bits) | (word << (32 - bits));
}

static uint32_t load_be32(const uint8_t *bytes)
{
	return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 |
	       bytes[3];
}

static void store_be32(uint8_t *bytes, uint32_t word)
{
	bytes[0] = (uint8_t)(word >> 24);
	bytes[1] = (uint8_t)(word >> 16);
	bytes[2] = (uint8_t)(word >> 8);
	bytes[3] = (uint8_t)word;
}

/*
 * Mix one 64-byte block into the state (FIPS 180-4, 6.2.2). The 64 rounds shuffle eight
 * working variables a..h: each round computes two temporaries from the choose and majority
 * functions, a round constant and one word of the schedule, and shifts the variables down by
 * one. At the end the working variables are added into the state, which is what makes the
 * compression one-way.
 */
static void compress(uint32_t state[8], const uint8_t block[SHA256_BLOCK_SIZE])
{
	uint32_t schedule[64], a, b, c, d, e, f, g, h;

	/* The message schedule: the block's 16 words, then 48 more derived from them. */
	for (int t = 0; t < 16; t++)
		schedule[t] = load_be32(block + 4 * t);
	for (int t = 16; t < 64; t++) {
		uint32_t w15 = schedule[t - 15], w2 = schedule[t - 2];
		uint32_t sigma0 = rotate_right(w15, 7) ^ rotate_right(w15, 18) ^ (w15 >> 3);
		uint32_t sigma1 = rotate_right(w2, 17) ^ rotate_right(w2, 19) ^ (w2 >> 10);

		schedule[t] = schedule[t - 16] + sigma0 + schedule[t - 7] + sigma1;
	}

	a = state[0], b = state[1], c = state[2], d = state[3];
	e = state[4], f = state[5], g = state[6], h = state[7];
	for (int t = 0; t < 64; t++) {
		uint32_t big_sigma1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25);
		uint32_t choose = (e & f) ^ (~e & g);
		uint32_t big_sigma0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22);
		uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t1 = h + big_sigma1 + choose + round_constants[t] + schedule[t];
		uint32_t t2 = big_sigma0 + majority;

		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	state[0] += a, state[1] += b, state[2] += c, state[3] += d;
	state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

void sha256_init(struct sha256 *hash)
{
	/* The first 32 bits of the fractional parts of the square roots of the first 8 primes. */
	static const uint32_t initial[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(hash->state, initial, sizeof(initial));
	hash->length = 0;
	hash->filled = 0;
}

/* Data arrives in pieces of any size; the block buffer carries a partial block from one
 * call to the next, so the pieces may split the message anywhere. */
void sha256_update(struct sha256 *hash, const void *data, size_t length)
{
	const uint8_t *bytes = data;

	hash->length += length;
	/* Top up a partial block first; then whole blocks straight from the caller's memory. */
	if (hash->filled > 0) {
		size_t take = SHA256_BLOCK_SIZE - hash->filled;

		if (take > length)
			take = length;
		memcpy(hash->block + hash->filled, bytes, take);
		hash->filled += take;
		bytes += take;
		length -= take;
		if (hash->filled < SHA256_BLOCK_SIZE)
			return;
		compress(hash->state, hash->block);
		hash->filled = 0;
	}
	while (length >= SHA256_BLOCK_SIZE) {
		compress(hash->state, bytes);
		bytes += SHA256_BLOCK_SIZE;
		length -= SHA256_BLOCK_SIZE;
	}
	memcpy(hash->block, bytes, length);
	hash->filled = length;
}

void sha256_final(struct sha256 *hash, uint8_t digest[SHA256_DIGEST_SIZE])
{
	uint64_t bits = hash->length * 8;

	/* Padding (5.1.1): a 1 bit, then zeroes up to 8 bytes short of a block boundary, then
	 * the length in bits as a 64-bit big-endian number. If the 1 bit leaves no room for the
	 * length, the zeroes run on through one more block. */
	hash->block[hash->filled++] = 0x80;
	if (hash->filled > SHA256_BLOCK_SIZE - 8) {
		memset(hash->block + hash->filled, 0, SHA256_BLOCK_SIZE - hash->filled);
		compress(hash->state, hash->block);
		hash->filled = 0;
	}
	memset(hash->block + hash->filled, 0, SHA256_BLOCK_SIZE - 8 - hash->filled);
	store_be32(hash->block + 56, (uint32_t)(bits >> 32));
	store_be32(hash->block + 60, (uint32_t)bits);
	compress(hash->state, hash->block);
	for (int i = 0; i < 8; i++)
		store_be32(digest + 4 * i, hash->state[i]);
}

void sha256(const void *data, size_t length, uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct sha256 hash;

	sha256_init(&hash);
	sha256_update(&hash, data, length);
	sha256_final(&hash, digest);
}

/* Big-endian byte order, high nibble first: the same text sha256sum prints. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0xf];
	}
	hex[2 * SHA256_DIGEST_SIZE] = '\0';
}
