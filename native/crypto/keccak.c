/*
 * Keccak-f[1600] and the Keccak-256 sponge, written from FIPS 202 section 3. The round constants
 * and rotation offsets are derived at start-up by the spec's own algorithms (the rc LFSR of
 * Algorithm 5, the (x, y) walk of Algorithm 2) rather than typed in, so a typo cannot hide in a
 * table; test/unit/chain-native.test.ts checks the result against @noble/hashes on random input.
 */
#include "keccak.h"

#define RATE_BYTES 136 /* 1600 - 2 * 256 bits */
#define ROUNDS 24

static uint64_t round_constants[ROUNDS];
static unsigned rotation[25]; /* rotation[x + 5y], the rho offset of lane (x, y) */
static unsigned destination[25]; /* pi: lane (x, y) moves to (y, 2x + 3y), as an index */

static inline uint64_t rotl(uint64_t v, unsigned n) { return (v << n) | (v >> ((64 - n) & 63)); }

/* Runs once when the library is loaded (the loader serialises it), before any thread can hash:
 * worker threads that load the addon again share the tables without a race. */
__attribute__((constructor)) static void keccak_init(void) {
  /* rc(t) is the output of an LFSR over GF(2) with x^8 + x^6 + x^5 + x^4 + 1; bit 2^j - 1 of the
   * round-i constant is rc(j + 7i). */
  uint8_t lfsr = 1;
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t c = 0;
    for (int j = 0; j < 7; j++) {
      if (lfsr & 1) c |= (uint64_t)1 << ((1u << j) - 1);
      lfsr = (uint8_t)((lfsr << 1) ^ ((lfsr & 0x80) ? 0x71 : 0));
    }
    round_constants[i] = c;
  }
  unsigned x = 1, y = 0;
  rotation[0] = 0;
  for (unsigned t = 0; t < 24; t++) {
    rotation[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64;
    unsigned nx = y, ny = (2 * x + 3 * y) % 5;
    x = nx;
    y = ny;
  }
  for (x = 0; x < 5; x++)
    for (y = 0; y < 5; y++) destination[x + 5 * y] = y + 5 * ((2 * x + 3 * y) % 5);
}

static void permute(uint64_t a[25]) {
  uint64_t b[25];
  for (int round = 0; round < ROUNDS; round++) {
    /* theta */
    uint64_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20];
    uint64_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21];
    uint64_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22];
    uint64_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23];
    uint64_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24];
    uint64_t d[5] = { c4 ^ rotl(c1, 1), c0 ^ rotl(c2, 1), c1 ^ rotl(c3, 1), c2 ^ rotl(c4, 1), c3 ^ rotl(c0, 1) };
    /* theta's xor, rho and pi in one pass */
    for (int i = 0; i < 25; i++) b[destination[i]] = rotl(a[i] ^ d[i % 5], rotation[i]);
    /* chi, row by row */
    for (int y = 0; y < 25; y += 5) {
      uint64_t b0 = b[y], b1 = b[y + 1], b2 = b[y + 2], b3 = b[y + 3], b4 = b[y + 4];
      a[y] = b0 ^ (~b1 & b2);
      a[y + 1] = b1 ^ (~b2 & b3);
      a[y + 2] = b2 ^ (~b3 & b4);
      a[y + 3] = b3 ^ (~b4 & b0);
      a[y + 4] = b4 ^ (~b0 & b1);
    }
    /* iota */
    a[0] ^= round_constants[round];
  }
}

/* Lanes are little-endian; byte-wise so the code is the same on every target. */
static void absorb_block(uint64_t a[25], const uint8_t *block) {
  for (int i = 0; i < RATE_BYTES / 8; i++) {
    uint64_t lane = 0;
    for (int k = 7; k >= 0; k--) lane = (lane << 8) | block[8 * i + k];
    a[i] ^= lane;
  }
  permute(a);
}

void keccak256(const uint8_t *data, size_t len, uint8_t out[32]) {
  uint64_t a[25] = { 0 };
  while (len >= RATE_BYTES) {
    absorb_block(a, data);
    data += RATE_BYTES;
    len -= RATE_BYTES;
  }
  uint8_t last[RATE_BYTES] = { 0 };
  for (size_t i = 0; i < len; i++) last[i] = data[i];
  last[len] ^= 0x01;
  last[RATE_BYTES - 1] ^= 0x80;
  absorb_block(a, last);
  for (int i = 0; i < 32; i++) out[i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));
}
