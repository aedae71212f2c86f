#include "compute/msg_field.h"

#include <stdlib.h>
#include <string.h>

#include "util/error.h"

ProtobufCMessage *bn_msg_new(const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *msg = calloc(1, desc->sizeof_message);

    if (!msg) {
        bn_err_set(BREV_ENOMEM, "out of memory");
        return NULL;
    }
    protobuf_c_message_init(desc, msg);
    return msg;
}

void bn_msg_release(ProtobufCMessage *msg)
{
    free(msg);
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessage *msg, const char *name,
                                                ProtobufCType type, ProtobufCLabel label)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, name);

    if (!f || f->type != type)
        return NULL;
    if ((label == PROTOBUF_C_LABEL_REPEATED) != (f->label == PROTOBUF_C_LABEL_REPEATED))
        return NULL;
    return f;
}

static int no_field(const ProtobufCMessage *msg, const char *name)
{
    return bn_err_set(BREV_EINTERNAL, "message %s has no usable field '%s'", msg->descriptor->name, name);
}

const char *bn_msg_get_str(const ProtobufCMessage *msg, const char *name)
{
    const ProtobufCFieldDescriptor *f = field_of(msg, name, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_LABEL_NONE);
    const char *value;

    if (!f)
        return NULL;
    memcpy(&value, (const char *)msg + f->offset, sizeof value);
    return value ? value : "";
}

int bn_msg_set_str(ProtobufCMessage *msg, const char *name, const char *value)
{
    const ProtobufCFieldDescriptor *f = field_of(msg, name, PROTOBUF_C_TYPE_STRING, PROTOBUF_C_LABEL_NONE);
    char *v = (char *)(value ? value : "");

    if (!f)
        return no_field(msg, name);
    memcpy((char *)msg + f->offset, &v, sizeof v);
    return BREV_OK;
}

int bn_msg_set_int64(ProtobufCMessage *msg, const char *name, int64_t value)
{
    const ProtobufCFieldDescriptor *f = field_of(msg, name, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_LABEL_NONE);

    if (!f)
        return no_field(msg, name);
    memcpy((char *)msg + f->offset, &value, sizeof value);
    return BREV_OK;
}

int bn_msg_get_repeated(const ProtobufCMessage *msg, const char *name, size_t *count,
                        ProtobufCMessage ***items)
{
    const ProtobufCFieldDescriptor *f = field_of(msg, name, PROTOBUF_C_TYPE_MESSAGE, PROTOBUF_C_LABEL_REPEATED);

    if (!f)
        return no_field(msg, name);
    memcpy(count, (const char *)msg + f->quantifier_offset, sizeof *count);
    memcpy(items, (const char *)msg + f->offset, sizeof *items);
    return BREV_OK;
}

int bn_msg_take_repeated(ProtobufCMessage *msg, const char *name, size_t *count, ProtobufCMessage ***items)
{
    const ProtobufCFieldDescriptor *f = field_of(msg, name, PROTOBUF_C_TYPE_MESSAGE, PROTOBUF_C_LABEL_REPEATED);
    size_t zero = 0;
    ProtobufCMessage **none = NULL;

    if (!f)
        return no_field(msg, name);
    memcpy(count, (const char *)msg + f->quantifier_offset, sizeof *count);
    memcpy(items, (const char *)msg + f->offset, sizeof *items);
    memcpy((char *)msg + f->quantifier_offset, &zero, sizeof zero);
    memcpy((char *)msg + f->offset, &none, sizeof none);
    return BREV_OK;
}
