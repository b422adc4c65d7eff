/* Keccak-256 as Ethereum uses it: Keccak[c=512] with the original 0x01 padding (not SHA3-256's 0x06). */
#ifndef MESHBOX_KECCAK_H
#define MESHBOX_KECCAK_H

#include <stddef.h>
#include <stdint.h>

void keccak256(const uint8_t *data, size_t len, uint8_t out[32]);

#endif
