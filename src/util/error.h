/* Internal side of the per-call error: a thread-local brev_error that every
 * failing function fills before returning its negative code. */
#ifndef BN_UTIL_ERROR_H
#define BN_UTIL_ERROR_H

#include <brev/errors.h>

/* Sets this thread's last error and returns code, so failures read
 * `return bn_err_set(BREV_EINVAL, "name must not be empty");`. */
int bn_err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, for failures that came from a gRPC call. service_error and request_id may be NULL. */
int bn_err_set_grpc(int code, int grpc_status, const char *service_error, const char *request_id,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Puts "context: " in front of the current message and returns the current code,
 * e.g. `return bn_err_prefix("creating boot disk");`. */
int bn_err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The current code (BREV_OK when the last call succeeded). */
int bn_err_code(void);

/* Saves and restores the current error around best-effort cleanup, so a
 * failing rollback does not replace the error the caller must see. */
void bn_err_save(brev_error *saved);
void bn_err_restore(const brev_error *saved);

#endif
