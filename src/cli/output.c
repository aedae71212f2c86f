#include "output.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct cli_table {
    size_t ncols;
    char **headers;
    size_t nrows, cap;
    char ***rows;
};

static char *dup_cell(const char *s)
{
    return strdup(s && *s ? s : "-");
}

cli_table *cli_table_new(const char *const *headers)
{
    cli_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    while (headers[t->ncols])
        t->ncols++;
    t->headers = calloc(t->ncols, sizeof *t->headers);
    if (!t->headers) {
        free(t);
        return NULL;
    }
    for (size_t i = 0; i < t->ncols; i++) {
        if (!(t->headers[i] = strdup(headers[i]))) {
            cli_table_free(t);
            return NULL;
        }
    }
    return t;
}

int cli_table_add(cli_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char ***grown = realloc(t->rows, cap * sizeof *grown);
        if (!grown)
            return -1;
        t->rows = grown;
        t->cap = cap;
    }
    char **row = calloc(t->ncols, sizeof *row);
    if (!row)
        return -1;
    for (size_t i = 0; i < t->ncols; i++) {
        if (!(row[i] = dup_cell(cells[i]))) {
            for (size_t j = 0; j < i; j++)
                free(row[j]);
            free(row);
            return -1;
        }
    }
    t->rows[t->nrows++] = row;
    return 0;
}

size_t cli_table_rows(const cli_table *t)
{
    return t->nrows;
}

static void print_row(char *const *cells, const size_t *widths, size_t ncols, FILE *out)
{
    for (size_t i = 0; i < ncols; i++) {
        if (i + 1 < ncols)
            fprintf(out, "%-*s  ", (int)widths[i], cells[i]);
        else
            fprintf(out, "%s\n", cells[i]);
    }
}

void cli_table_print(const cli_table *t, FILE *out)
{
    size_t *widths = calloc(t->ncols ? t->ncols : 1, sizeof *widths);
    if (!widths)
        return;
    for (size_t i = 0; i < t->ncols; i++) {
        widths[i] = strlen(t->headers[i]);
        for (size_t r = 0; r < t->nrows; r++)
            if (strlen(t->rows[r][i]) > widths[i])
                widths[i] = strlen(t->rows[r][i]);
    }
    print_row(t->headers, widths, t->ncols, out);
    for (size_t r = 0; r < t->nrows; r++)
        print_row(t->rows[r], widths, t->ncols, out);
    free(widths);
}

void cli_table_free(cli_table *t)
{
    if (!t)
        return;
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++)
            free(t->rows[r][i]);
        free(t->rows[r]);
    }
    free(t->rows);
    if (t->headers)
        for (size_t i = 0; i < t->ncols; i++)
            free(t->headers[i]);
    free(t->headers);
    free(t);
}

int cli_json_emit(json_t *doc)
{
    if (!doc)
        return -1;
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
    return 0;
}

json_t *cli_json_str(const char *s)
{
    return json_string(s ? s : "");
}

void cli_format_time(int64_t unix_s, char *buf, size_t len)
{
    if (unix_s <= 0) {
        snprintf(buf, len, "-");
        return;
    }
    time_t t = (time_t)unix_s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)unix_s);
}

void cli_format_bytes(int64_t bytes, char *buf, size_t len)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    if (bytes <= 0) {
        snprintf(buf, len, "0");
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (v == (double)(int64_t)v)
        snprintf(buf, len, "%lld %s", (long long)v, units[u]);
    else
        snprintf(buf, len, "%.1f %s", v, units[u]);
}

void cli_format_relative(int64_t unix_s, char *buf, size_t len)
{
    int64_t d = unix_s - (int64_t)time(NULL);
    int64_t a = d < 0 ? -d : d;
    char span[48];
    if (a >= 3600)
        snprintf(span, sizeof span, "%lldh %lldm", (long long)(a / 3600), (long long)(a % 3600 / 60));
    else if (a >= 60)
        snprintf(span, sizeof span, "%lldm %llds", (long long)(a / 60), (long long)(a % 60));
    else
        snprintf(span, sizeof span, "%llds", (long long)a);
    if (d >= 0)
        snprintf(buf, len, "in %s", span);
    else
        snprintf(buf, len, "%s ago", span);
}
