/* How an instance looks on the command line: a JSON object, a detail view,
 * a table row. */
#ifndef BREV_CLI_INSTANCE_VIEW_H
#define BREV_CLI_INSTANCE_VIEW_H

#include <brev/nebius.h>
#include <jansson.h>
#include <stdio.h>

json_t *cli_instance_json(const brev_instance *instance);
json_t *cli_instance_list_json(const brev_instance_list *list);
void cli_instance_print(const brev_instance *instance, FILE *out);
int cli_instance_table(const brev_instance_list *list, FILE *out);

#endif
