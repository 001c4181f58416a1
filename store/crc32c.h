/*
 * crc32c: CRC-32C (Castagnoli), the checksum of every store frame.
 * Uses the SSE4.2 instruction where the CPU has it, a slicing-by-8 table
 * elsewhere; both give the same value on every host.  Any thread may
 * call it at any time: the CPU check and the table are set up once.
 */
#ifndef TIP_CRC32C_H
#define TIP_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0; crc32c(crc32c(0,a),b) == crc32c(0,ab). */
uint32_t crc32c(uint32_t crc, const void *p, size_t n);

#endif
