/* Small helpers of the CLI: whole-file reads, wiping frees, the jansson
 * allocator that wipes (credentials JSON passes through jansson). */
#ifndef BREV_CLI_UTIL_H
#define BREV_CLI_UTIL_H

#include <stddef.h>

#include <brev/firewall.h>

/* Reads a whole file (at most max_bytes) into a NUL-terminated buffer.
 * Returns 0, or -1 with err naming the file and the reason. */
int cli_read_file(const char *path, size_t max_bytes, char **out, size_t *len, char *err, size_t errlen);

/* Overwrites then frees a string that may hold secrets. NULL is allowed. */
void cli_wipe_free(char *s);

/* Makes jansson wipe every block it frees (call once, before any json_*). */
void cli_json_secure_alloc(void);

/* Strips leading and trailing whitespace in place; returns s. */
char *cli_trim(char *s);

/* The cluster with that id in list, or NULL. */
const brev_cluster *cli_cluster_find(const brev_cluster_list *list, const char *id);

#endif
