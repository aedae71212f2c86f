/* What the CLI prints: aligned tables for people, one JSON document for
 * programs (--json), times and sizes in readable form. */
#ifndef BREV_CLI_OUTPUT_H
#define BREV_CLI_OUTPUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_table cli_table;

/* A table with ncols columns named by the NULL-terminated header list. */
cli_table *cli_table_new(const char *const *headers);
/* Adds a row of exactly ncols strings (copied; NULL prints as "-"). Returns -1 when out of memory. */
int cli_table_add(cli_table *t, const char *const *cells);
size_t cli_table_rows(const cli_table *t);
/* Prints the table (columns separated by two spaces; the last one unpadded). */
void cli_table_print(const cli_table *t, FILE *out);
void cli_table_free(cli_table *t);

/* Writes doc (indented) and a newline to stdout, then releases it. Returns
 * 0, or -1 when doc is NULL (out of memory while building it). */
int cli_json_emit(json_t *doc);

/* "2026-08-01T12:00:00Z" for a Unix time, "-" for 0. */
void cli_format_time(int64_t unix_s, char *buf, size_t len);
/* "16 GiB", "512 MiB", "0". */
void cli_format_bytes(int64_t bytes, char *buf, size_t len);
/* "in 59m 58s", "1h 2m ago". */
void cli_format_relative(int64_t unix_s, char *buf, size_t len);

/* json_string that never fails on NULL (becomes ""). */
json_t *cli_json_str(const char *s);

#endif
