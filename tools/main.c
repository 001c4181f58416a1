/*
 * tip: command dispatch.  Commands are looked up by name in one table so
 * `tip help` and the usage lines cannot drift from what exists.
 */
#include <stdio.h>
#include <string.h>

#include "tip.h"
#include "tip_config.h"

static const struct tip_cmd cmds[] = {
	{"import", cmd_import, "import cof|passivedns FILE... --store DIR [--sensor NAME] [--force]\n"
	 "       tip import feed FILE --store DIR --source NAME --format F [--column C] [--path P] [--kind K] [--time T]\n"
	 "       tip import maildir DIR... | mbox FILE... --store DIR [--sensor NAME] [--trusted CIDR]... [--max-size BYTES]"},
	{"dump", cmd_dump, "dump STORE..."},
	{"verify", cmd_verify, "verify [-q] STORE..."},
	{"stats", cmd_stats, "stats STORE..."},
	{"submit", cmd_submit, "submit [-s SOCKET] NAME..."},
	{"status", cmd_status, "status [-s SOCKET]"},
	{"clock", cmd_clock, "clock [-s SOCKET] synced|unsynced|auto"},
	{"asn", cmd_asn, "asn import --asn FILE --country FILE -o OUT"},
	{"query", cmd_query, "query domain NAME|'*.NAME'|'NAME.*' | ip ADDR[/LEN] | flux | spam --domain D|--ip A|--hash H "
			     "[--min-score S] [--since T] [--until T] [-c] [-t RRTYPE] [-l N] "
			     "[--window N] [--ttl-min D] [--ttl-max D] [--running] "
			     "[--asn FILE] [--format table|csv|json|cof] --store DIR...\n"
			     "       tip query source [NAME] | indicator VALUE [--allowlist FILE] "
			     "[--format table|csv|json] --store DIR..."},
	{"blacklist", cmd_blacklist, "blacklist --format dnsmasq|unbound|hosts|nftables "
				     "[--min-score S] [--since T] [--until T] [--asn FILE] "
				     "[--window N] [--ttl-min D] [--ttl-max D] [--running] "
				     "[--min-confidence C [--allowlist FILE]] --store DIR..."},
	{"graph", cmd_graph, "graph domain NAME -o FILE.svg [--since T] [--until T] [--asn FILE] "
			     "[--source auto|samples|lookups] --store DIR..."},
	{"export", cmd_export, "export --format cof|csv|clickhouse [--records dns|feeds|spam] [--since T] [--until T] "
			       "[--asn FILE] [-o FILE | --url URL [--table T] [--retries N] [--chunk ROWS]] "
			       "--store DIR..."},
	{"compact", cmd_compact, "compact STORE... [--clean] [--before T] [--max-size BYTES] [--bucket SECONDS] "
				 "[-q]"},
	{"serve", cmd_serve, "serve [--listen ADDR:PORT] [--asn FILE] [--timeout S] "
			     "[--max-conn N] [--workers N] --store DIR..."},
	{"keygen", cmd_keygen, "keygen --out DIR [--name CN]"},
	{"pull", cmd_pull, "pull https://HOST[:PORT] --store DIR --key DIR --peer FINGERPRINT "
			   "[--timeout S] [--retries N] [-q] | pull --config FILE  "
			   "(exit 0 done, 2 local error, 3 network, 4 refused, 5 bad data)"},
};

#define NCMDS (sizeof cmds / sizeof cmds[0])

static void help(FILE *f)
{
	fprintf(f, "usage: tip COMMAND [ARGS]\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  tip %s\n", cmds[i].usage);
}

int tip_usage(const char *cmd)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, cmd) == 0) {
			fprintf(stderr, "tip %s: usage: tip %s\n", cmd, cmds[i].usage);
			return 2;
		}
	help(stderr);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("tip %s\n", TIP_VERSION);
		return 0;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, argv[1]) == 0)
			return cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tip: unknown command: %s\n", argv[1]);
	help(stderr);
	return 2;
}
