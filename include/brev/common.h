/* Shared definitions of the libbrev-nebius public API: export macro, version,
 * labels and the string free function. */
#ifndef BREV_COMMON_H
#define BREV_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BREV_EXTERN __attribute__((visibility("default")))
#else
#define BREV_EXTERN
#endif

#define BREV_VERSION_MAJOR 0
#define BREV_VERSION_MINOR 1
#define BREV_VERSION_PATCH 0
#define BREV_VERSION_STRING "0.1.0"

/** Library version, e.g. "0.1.0". Static storage. */
BREV_EXTERN const char *brev_version(void);

/** A key/value label (Nebius resource labels, Brev tags). */
typedef struct brev_label {
    const char *key;
    const char *value;
} brev_label;

/** Frees a string returned by the library (wipes it first: it may hold a token). NULL is allowed. */
BREV_EXTERN void brev_string_free(char *s);

#ifdef __cplusplus
}
#endif
#endif
