#include "test_creds.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

char *bn_test_genpkey(const char *args)
{
    char cmd[512];
    char *buf = NULL;
    size_t len = 0, cap = 0;
    FILE *p;
    int status;

    snprintf(cmd, sizeof cmd, "openssl genpkey %s 2>/dev/null", args);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    for (;;) {
        if (len + 1024 > cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, p);
        if (n == 0)
            break;
        len += n;
    }
    status = pclose(p);
    ck_assert_msg(status == 0 && len > 0, "`%s` failed (status %d)", cmd, status);
    buf[len] = '\0';
    return buf;
}

char *bn_test_credentials_json(const char *type, const char *alg, const char *pem, const char *kid, const char *iss,
                               const char *sub)
{
    json_t *root = json_object(), *sc = json_object();
    char *text;

    if (type)
        json_object_set_new(sc, "type", json_string(type));
    if (alg)
        json_object_set_new(sc, "alg", json_string(alg));
    if (pem)
        json_object_set_new(sc, "private-key", json_string(pem));
    if (kid)
        json_object_set_new(sc, "kid", json_string(kid));
    if (iss)
        json_object_set_new(sc, "iss", json_string(iss));
    if (sub)
        json_object_set_new(sc, "sub", json_string(sub));
    json_object_set_new(root, "subject-credentials", sc);
    text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    ck_assert_ptr_nonnull(text);
    return text;
}

void bn_test_write_file(const char *path, const char *text, int mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t len = strlen(text);

    ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
    ck_assert_int_eq((int)write(fd, text, len), (int)len);
    ck_assert_int_eq(fchmod(fd, (mode_t)mode), 0);
    close(fd);
}

void bn_test_tempdir(char out[4096])
{
    snprintf(out, 4096, "/tmp/bn-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(out));
}

void bn_test_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4400];

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            bn_test_rmtree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int bn_test_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    ck_assert_int_ge(fd, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}
