/*
 * lib/sha256.h: the SHA-256 hash of FIPS 180-4 (section 6.2), for checking that data read
 * from a disk is the data that was written. Streaming: feed the message in pieces of any
 * size with sha256_update(), then take the 32-byte digest with sha256_final().
 *
 * Not a cryptographic toolkit: no HMAC, no constant-time promises beyond what the plain
 * algorithm gives. It only has to agree with `sha256sum`.
 */
#ifndef MOTE_LIB_SHA256_H
#define MOTE_LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64
/* A digest as lowercase hex, as sha256sum prints it, plus the NUL. */
#define SHA256_HEX_SIZE (2 * SHA256_DIGEST_SIZE + 1)

struct sha256 {
	uint32_t state[8];              /* the running hash value H0..H7 */
	uint64_t length;                /* message bytes hashed so far */
	uint8_t block[SHA256_BLOCK_SIZE];   /* the partial block not yet compressed */
	size_t filled;                  /* bytes in `block` */
};

void sha256_init(struct sha256 *hash);
void sha256_update(struct sha256 *hash, const void *data, size_t length);
/* Pad, finish, and write the digest. The context must be initialised again before reuse. */
void sha256_final(struct sha256 *hash, uint8_t digest[SHA256_DIGEST_SIZE]);

/* The whole thing at once. */
void sha256(const void *data, size_t length, uint8_t digest[SHA256_DIGEST_SIZE]);

/* Write `digest` as 64 lowercase hex digits and a NUL into `hex`. */
void sha256_to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);

#endif
