#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

void bn_log(const bn_logger *logger, brev_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!logger || !logger->fn || level < logger->min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    logger->fn(level, line, logger->payload);
}
