/* The instance's cloud-init user data.
 *
 * Our part is a #cloud-config that gives the image's default user the SSH keys
 * and makes sure sshd runs with password logins off. Extra content (the host
 * firewall fragment, the caller's user_data) is never spliced into our YAML:
 * each becomes its own part of a MIME multipart document, which cloud-init
 * processes in order. A #cloud-config part carries the header
 *   Merge-Type: list(append)+dict(no_replace,recurse_list)+str()
 * so its lists (runcmd, packages, ssh_authorized_keys, write_files) are
 * appended to ours and it cannot replace keys we set; a "#!" script part runs
 * as a per-instance script after the config modules. With no extra content the
 * document is our plain #cloud-config. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <brev/policy.h>

#include "cloud/instance_internal.h"
#include "util/error.h"
#include "util/str.h"

#define MERGE_TYPE "list(append)+dict(no_replace,recurse_list)+str()"

typedef struct buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->data, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* A YAML double-quoted scalar (keys are validated one-liners; this keeps a
 * comment with ':' or '#' from changing the document). */
static void put_quoted(buf *b, const char *s)
{
    puts_(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            put(b, "\\", 1);
        if (*s == '\t') {
            puts_(b, "\\t");
            continue;
        }
        put(b, s, 1);
    }
    puts_(b, "\"");
}

static void base_config(buf *b, const char *const *keys, size_t n)
{
    puts_(b, "#cloud-config\n"
             "# libbrev-nebius: SSH access for the image's default user\n"
             "ssh_pwauth: false\n"
             "ssh_authorized_keys:\n");
    for (size_t i = 0; i < n; i++) {
        puts_(b, "  - ");
        put_quoted(b, keys[i]);
        puts_(b, "\n");
    }
    puts_(b, "runcmd:\n"
             "  - systemctl enable --now ssh\n");
}

typedef struct part {
    const char *content_type;
    const char *filename;
    const char *text;
} part;

static int classify(const char *user_data, part *p)
{
    p->text = user_data;
    if (bn_str_starts_with(user_data, "#cloud-config")) {
        p->content_type = "text/cloud-config";
        p->filename = "user-data.cfg";
    } else if (bn_str_starts_with(user_data, "#!")) {
        p->content_type = "text/x-shellscript";
        p->filename = "user-script.sh";
    } else {
        return bn_err_set(BREV_EINVAL, "user_data must be a #cloud-config document or a script starting with "
                                       "\"#!\" (it starts with neither)");
    }
    return BREV_OK;
}

static int make_boundary(char out[48], const part *parts, size_t n)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        unsigned char r[12];
        int clash = 0;

        if (RAND_bytes(r, sizeof r) != 1)
            return bn_err_set(BREV_ERROR, "no randomness for the MIME boundary");
        snprintf(out, 48, "==brev-%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x==", r[0], r[1], r[2], r[3],
                 r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
        for (size_t i = 0; i < n; i++)
            clash |= strstr(parts[i].text, out) != NULL;
        if (!clash)
            return BREV_OK;
    }
    return bn_err_set(BREV_ERROR, "could not pick a MIME boundary");
}

static void put_part(buf *b, const char *boundary, const part *p, int merge)
{
    puts_(b, "--");
    puts_(b, boundary);
    puts_(b, "\nContent-Type: ");
    puts_(b, p->content_type);
    puts_(b, "; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n"
             "Content-Disposition: attachment; filename=\"");
    puts_(b, p->filename);
    puts_(b, "\"\n");
    if (merge && strcmp(p->content_type, "text/cloud-config") == 0)
        puts_(b, "Merge-Type: " MERGE_TYPE "\n");
    puts_(b, "\n");
    puts_(b, p->text);
    if (!*p->text || p->text[strlen(p->text) - 1] != '\n')
        puts_(b, "\n");
}

int bn_cloud_init_build(const char *const *ssh_keys, size_t key_count, int host_firewall, const char *user_data,
                        char **out)
{
    buf base = {0}, doc = {0};
    part parts[3];
    size_t n = 0;
    char *firewall = NULL;
    char boundary[48];
    int rc = BREV_OK;

    *out = NULL;
    base_config(&base, ssh_keys, key_count);
    if (base.failed)
        return bn_err_set(BREV_ENOMEM, "out of memory");
    parts[n++] = (part){"text/cloud-config", "brev-ssh.cfg", base.data};
    if (host_firewall) {
        rc = brev_policy_host_firewall_cloud_init(&firewall);
        if (rc < 0) {
            free(base.data);
            return bn_err_prefix("building the host firewall fragment");
        }
        parts[n++] = (part){"text/cloud-config", "brev-host-firewall.cfg", firewall};
    }
    if (user_data && *user_data) {
        rc = classify(user_data, &parts[n]);
        if (rc < 0)
            goto done;
        n++;
    }
    if (n == 1) {
        *out = base.data;
        base.data = NULL;
    } else {
        rc = make_boundary(boundary, parts, n);
        if (rc < 0)
            goto done;
        puts_(&doc, "Content-Type: multipart/mixed; boundary=\"");
        puts_(&doc, boundary);
        puts_(&doc, "\"\nMIME-Version: 1.0\n\n");
        for (size_t i = 0; i < n; i++)
            put_part(&doc, boundary, &parts[i], i > 0);
        puts_(&doc, "--");
        puts_(&doc, boundary);
        puts_(&doc, "--\n");
        if (doc.failed) {
            rc = bn_err_set(BREV_ENOMEM, "out of memory");
            goto done;
        }
        *out = doc.data;
        doc.data = NULL;
    }
    if (strlen(*out) > BN_CLOUD_INIT_MAX) {
        rc = bn_err_set(BREV_EINVAL, "cloud-init user data would be %zu bytes, more than the %d the API accepts "
                                     "(shorten user_data or pass fewer SSH keys)",
                        strlen(*out), BN_CLOUD_INIT_MAX);
        free(*out);
        *out = NULL;
    }
done:
    free(base.data);
    free(doc.data);
    brev_string_free(firewall);
    return rc;
}
