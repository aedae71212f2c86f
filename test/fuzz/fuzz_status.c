/* libFuzzer target: decoding a server's google.rpc.Status (as found in
 * grpc-status-details-bin or a failed Operation) with its ServiceError
 * details, and turning it into an error message. Must never crash or leak. */
#include <stdint.h>
#include <stdlib.h>

#include <brev/errors.h>
#include "rpc/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Google__Rpc__Status *st = google__rpc__status__unpack(NULL, size, data);
    int code;

    if (!st)
        return 0;
    code = bn_status_error("Fuzz/Call", st->code ? st->code : 2, st->message, st, NULL);
    if (code >= 0)
        abort();
    google__rpc__status__free_unpacked(st, NULL);
    return 0;
}
