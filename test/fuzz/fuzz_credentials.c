/* libFuzzer target: the credentials parser on arbitrary text (JSON shape,
 * fields, PEM checks). It must refuse bad input with BREV_ECREDENTIALS and a
 * message, never crash, leak, or hand an unusable key on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <brev/errors.h>
#include "auth/credentials.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bn_sa_credentials c = {0};
    char *text = malloc(size + 1);
    int rc;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rc = bn_sa_credentials_parse(&c, text, "fuzz input");
    if (rc == BREV_OK) {
        if (!c.service_account_id || !c.key_id || !c.private_key_pem)
            abort();
    } else if (rc != BREV_ECREDENTIALS && rc != BREV_ENOMEM) {
        abort();
    } else if (brev_error_message()[0] == '\0') {
        abort();
    }
    bn_sa_credentials_clear(&c);
    free(text);
    return 0;
}
