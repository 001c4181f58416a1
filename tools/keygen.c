/*
 * keygen: `tip keygen --out DIR [--name CN]`.
 *
 * Makes a node's key pair for sharing (EC P-256) and a self-signed
 * certificate for it in DIR (store/peer.h), and prints the key's
 * fingerprint, which is what the other side lists (tipd's share module,
 * `peer`) or pins (`tip pull --peer`).  An existing key is never
 * overwritten.  Exit: 0 made, 2 usage or an error.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cdefs.h"
#include "tip.h"
#include "tip_config.h"

#if ENABLE_TLS
#include "peer.h"

int cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{"out", required_argument, NULL, 'o'},
		{"name", required_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	const char *out = NULL, *cn = NULL;
	char host[64], cnbuf[96], err[512], text[SHARE_FP_TEXT];
	uint8_t fp[SHARE_FP_LEN];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:", opts, NULL)) != -1) {
		if (c == 'o')
			out = optarg;
		else if (c == 'n')
			cn = optarg;
		else
			return tip_usage("keygen");
	}
	if (!out || optind != argc)
		return tip_usage("keygen");
	if (!cn) {
		if (gethostname(host, sizeof host) < 0)
			strcpy(host, "node");
		host[sizeof host - 1] = '\0';
		snprintf(cnbuf, sizeof cnbuf, "tip %s", host);
		cn = cnbuf;
	}
	if (peer_keygen(out, cn, fp, err, sizeof err) < 0) {
		fprintf(stderr, "tip keygen: %s\n", err);
		return 2;
	}
	share_fp_format(text, fp);
	printf("%s\n", text);
	if (isatty(STDOUT_FILENO))
		printf("  key %s/%s, certificate %s/%s: give the line above to the peer\n", out,
		       PEER_KEY_FILE, out, PEER_CERT_FILE);
	return 0;
}
#else
int cmd_keygen(int argc TIP_UNUSED, char **argv TIP_UNUSED)
{
	fprintf(stderr, "tip keygen: built without TLS (Kconfig TLS)\n");
	return 2;
}
#endif
