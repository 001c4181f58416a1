/*
 * fetch: the HTTP/1.1 client of fetch.h.
 *
 * Not implemented yet: fetch_start fails with ENOSYS and no module calls
 * it.  The contract in fetch.h is what the implementation will keep.
 */
#include <errno.h>
#include <stddef.h>

#include "cdefs.h"
#include "fetch.h"

struct fetch *fetch_start(struct ev_loop *loop TIP_UNUSED, struct resolver *res TIP_UNUSED,
			  const struct fetch_opts *opts TIP_UNUSED, const struct fetch_cb *cb TIP_UNUSED,
			  void *arg TIP_UNUSED)
{
	errno = ENOSYS;
	return NULL;
}

void fetch_cancel(struct fetch *f TIP_UNUSED)
{
}

static const char *const err_names[FETCH__ERRS] = {
	[FETCH_OK] = "ok", [FETCH_E_URL] = "url", [FETCH_E_DNS] = "dns",
	[FETCH_E_CONNECT] = "connect", [FETCH_E_TLS] = "tls", [FETCH_E_CERT] = "cert",
	[FETCH_E_CERT_TIME] = "cert-time", [FETCH_E_CLOCK] = "clock", [FETCH_E_TIMEOUT] = "timeout",
	[FETCH_E_PROTO] = "proto", [FETCH_E_HTTP] = "http", [FETCH_E_REDIRECT] = "redirect",
	[FETCH_E_TOO_BIG] = "too-big", [FETCH_E_TRUNCATED] = "truncated", [FETCH_E_DECODE] = "decode",
	[FETCH_E_ABORTED] = "aborted", [FETCH_E_IO] = "io", [FETCH_E_NOMEM] = "nomem",
	[FETCH_E_UNSUPPORTED] = "unsupported",
};

const char *fetch_err_name(int err)
{
	return err >= 0 && err < FETCH__ERRS && err_names[err] ? err_names[err] : "unknown";
}
