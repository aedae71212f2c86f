/* Library logging: lines go to the caller's brev_log_fn, filtered by level.
 * Callers must never pass a token, JWT or key into a log line. */
#ifndef BN_UTIL_LOG_H
#define BN_UTIL_LOG_H

#include <brev/client.h>

typedef struct bn_logger {
    brev_log_fn fn;
    void *payload;
    brev_log_level min_level;
} bn_logger;

void bn_log(const bn_logger *logger, brev_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
