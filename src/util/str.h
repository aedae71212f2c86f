/* Small string helpers shared by every layer. All return NULL only on
 * allocation failure (and set BREV_ENOMEM). */
#ifndef BN_UTIL_STR_H
#define BN_UTIL_STR_H

#include <stddef.h>

/* strdup that maps NULL to "" so result structs never hold NULL strings. */
char *bn_strdup(const char *s);
/* printf into a new string. */
char *bn_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Wipes and frees a string that may hold a secret. */
void bn_str_free_secret(char *s);
/* 1 when s starts with prefix. */
int bn_str_starts_with(const char *s, const char *prefix);
/* A random UUIDv4 into out[37] (OpenSSL RAND_bytes). Returns 0 or BREV_ERROR. */
int bn_uuid4(char out[37]);

#endif
