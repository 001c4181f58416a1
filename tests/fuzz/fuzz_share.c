/*
 * fuzz_share: what a peer sends over a share connection (store/share.c):
 * the first byte picks the parser: 0 a request head (tipd's share module),
 * 1 a response head (tip pull), 2 a listing body (tip pull), 3 a
 * fingerprint.  The rest is the bytes as they come off the connection.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "share.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	const char *why = NULL;

	switch (data[0] & 3) {
	case 0: {
		struct share_req r;
		int status = 0;
		int k = share_req_parse(p, n, &r, &status, &why);
		if (k < 0) {
			FUZZ_CHECK(why != NULL && status >= 400 && status <= 599);
		} else if (k > 0) {
			FUZZ_CHECK(r.head_len <= n && r.head_len <= SHARE_REQ_MAX);
			FUZZ_CHECK(r.what == SHARE_GET_LIST || r.what == SHARE_GET_SEG ||
				   r.what == SHARE_GET_IDX);
			if (r.what != SHARE_GET_LIST) {
				/* a segment name, never a path */
				FUZZ_CHECK(memchr(r.name, 0, sizeof r.name) != NULL);
				FUZZ_CHECK(!strchr(r.name, '/') && !strstr(r.name, ".."));
				uint32_t seq;
				int64_t start;
				FUZZ_CHECK(seg_name_parse(r.name, &seq, &start) == 1);
			}
			if (r.has_range)
				FUZZ_CHECK(r.range_last >= r.range_first);
		}
		break;
	}
	case 1: {
		struct share_resp r;
		int k = share_resp_parse(p, n, &r, &why);
		if (k < 0)
			FUZZ_CHECK(why != NULL);
		else if (k > 0) {
			FUZZ_CHECK(r.head_len <= n && r.head_len <= SHARE_RESP_MAX);
			FUZZ_CHECK(r.status >= 0 && r.status <= 999);
			if (r.has_range)
				FUZZ_CHECK(r.range_first <= r.range_last && r.range_last < r.range_total);
		}
		break;
	}
	case 2: {
		struct share_list l;
		char err[256];
		err[0] = '\0';
		if (share_list_parse(p, n, &l, err, sizeof err) < 0) {
			FUZZ_CHECK(err[0] != '\0' && l.segs == NULL && l.n == 0);
			break;
		}
		FUZZ_CHECK(l.sensor[0] != '\0');
		for (size_t i = 0; i < l.n; i++) {
			FUZZ_CHECK(l.segs[i].size >= SEG_HDR_SIZE);
			FUZZ_CHECK(!strchr(l.segs[i].name, '/'));
			if (i)
				FUZZ_CHECK(l.segs[i].seq >= l.segs[i - 1].seq);
			if (!l.segs[i].sealed)
				FUZZ_CHECK(i == l.n - 1);
			/* each line formats back to a line the parser takes */
			char line[320];
			FUZZ_CHECK(share_list_line(line, sizeof line, &l.segs[i]) > 0);
			if (l.segs[i].has_index)
				FUZZ_CHECK(l.segs[i].sealed && l.segs[i].index_size > 0);
		}
		share_list_free(&l);
		break;
	}
	case 3: {
		uint8_t fp[SHARE_FP_LEN], back[SHARE_FP_LEN];
		char *s = malloc(n + 1);
		char text[SHARE_FP_TEXT];
		if (!s)
			return 0;
		memcpy(s, p, n);
		s[n] = '\0';
		if (share_fp_parse(s, fp) == 0) {
			share_fp_format(text, fp);
			FUZZ_CHECK(strlen(text) == SHARE_FP_TEXT - 1);
			FUZZ_CHECK(share_fp_parse(text, back) == 0 && !memcmp(fp, back, sizeof fp));
		}
		free(s);
		break;
	}
	}
	return 0;
}
