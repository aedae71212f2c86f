/* Reading and writing protobuf-c message fields by name through their
 * descriptors, so one generic routine serves every request/response pair
 * that shares a field layout (ids, parents, page tokens, items). */
#ifndef BN_COMPUTE_MSG_FIELD_H
#define BN_COMPUTE_MSG_FIELD_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

/* A new message of that type with its defaults, or NULL (BREV_ENOMEM set).
 * Free it with bn_msg_release: string fields set by bn_msg_set_str are
 * borrowed, never freed with the message. */
ProtobufCMessage *bn_msg_new(const ProtobufCMessageDescriptor *desc);
void bn_msg_release(ProtobufCMessage *msg);

/* The string field `name`; "" when unset; NULL when the message has no such
 * string field. */
const char *bn_msg_get_str(const ProtobufCMessage *msg, const char *name);

/* Points the string field `name` at value (borrowed). BREV_EINTERNAL when the
 * message has no such string field. */
int bn_msg_set_str(ProtobufCMessage *msg, const char *name, const char *value);

/* Sets the int64 field `name`. BREV_EINTERNAL when there is no such field. */
int bn_msg_set_int64(ProtobufCMessage *msg, const char *name, int64_t value);

/* The repeated message field `name`: *count items at *items (owned by msg).
 * BREV_EINTERNAL when there is no such field. */
int bn_msg_get_repeated(const ProtobufCMessage *msg, const char *name, size_t *count,
                        ProtobufCMessage ***items);

/* Takes the items of the repeated message field `name` out of msg: msg keeps
 * none, the caller owns the array and every item. */
int bn_msg_take_repeated(ProtobufCMessage *msg, const char *name, size_t *count, ProtobufCMessage ***items);

#endif
