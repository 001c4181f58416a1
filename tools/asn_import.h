/*
 * asn_import: `tip asn import` (tools/asn.c) on CSV text in memory, for
 * the fuzz target and tests.
 */
#ifndef TIP_ASN_IMPORT_H
#define TIP_ASN_IMPORT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Build the table (store/asn_db.h) from the text of an ASN CSV and
 * a country CSV (either may be empty), as `tip asn import` does from
 * files, printing nothing; *bad counts the lines skipped.  A malloc'ed
 * table of *out_len bytes, or NULL with errno (out of memory, too big).
 */
uint8_t *asn_import_mem(const char *asn_csv, size_t asn_len, const char *cc_csv, size_t cc_len,
			size_t *out_len, unsigned long *bad);

#endif
