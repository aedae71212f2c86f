#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_read_file(const char *path, size_t max_bytes, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    if (len)
        *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(fp);
        snprintf(err, errlen, "cannot read %s: is a directory", path);
        return -1;
    }
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(fp);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (;;) {
        if (used + 1 >= cap) {
            if (cap > max_bytes) {
                cli_wipe_free(buf);
                fclose(fp);
                snprintf(err, errlen, "%s is larger than %zu bytes", path, max_bytes);
                return -1;
            }
            char *grown = malloc(cap * 2);
            if (!grown) {
                cli_wipe_free(buf);
                fclose(fp);
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            /* copy, then wipe the old block: the file may be a private key */
            memcpy(grown, buf, used);
            explicit_bzero(buf, cap);
            free(buf);
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + used, 1, cap - 1 - used, fp);
        used += n;
        if (n == 0)
            break;
    }
    int failed = ferror(fp);
    fclose(fp);
    if (failed || used > max_bytes) {
        cli_wipe_free(buf);
        snprintf(err, errlen, failed ? "cannot read %s: read error" : "%s is larger than %zu bytes", path,
                 max_bytes);
        return -1;
    }
    buf[used] = '\0';
    *out = buf;
    if (len)
        *len = used;
    return 0;
}

void cli_wipe_free(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

static void *json_alloc(size_t n)
{
    return malloc(n);
}

static void json_wipe_free(void *p)
{
    if (!p)
        return;
    explicit_bzero(p, malloc_usable_size(p));
    free(p);
}

void cli_json_secure_alloc(void)
{
    json_set_alloc_funcs(json_alloc, json_wipe_free);
}

char *cli_trim(char *s)
{
    char *start = s;
    while (*start && isspace((unsigned char)*start))
        start++;
    size_t n = strlen(start);
    while (n > 0 && isspace((unsigned char)start[n - 1]))
        n--;
    memmove(s, start, n);
    s[n] = '\0';
    return s;
}

const brev_cluster *cli_cluster_find(const brev_cluster_list *list, const char *id)
{
    for (size_t i = 0; list && i < list->count; i++)
        if (strcmp(list->items[i].id, id) == 0)
            return &list->items[i];
    return NULL;
}
