/*
 * tip: the offline tool.  One binary, one function per command; main.c
 * holds the table.  Every command returns the process exit status:
 * 0 success, 1 the data has faults (verify) or nothing matched, 2 usage
 * or I/O errors.  Errors go to stderr as "tip CMD: what: detail".
 */
#ifndef TIP_TOOL_H
#define TIP_TOOL_H

struct tip_cmd {
	const char *name;
	int (*run)(int argc, char **argv);	/* argv[0] is the command name */
	const char *usage;
};

int cmd_import(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_asn(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_blacklist(int argc, char **argv);

/* Print "tip CMD: usage: ..." and return 2. */
int tip_usage(const char *cmd);

#endif
