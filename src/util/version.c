#include <brev/common.h>

const char *brev_version(void)
{
    return BREV_VERSION_STRING;
}
