/* libbrev-nebius: run GPU instances on Nebius natively over gRPC, the way the
 * Brev Cloud SDK does. Include this umbrella header, link -lbrev-nebius. */
#ifndef BREV_NEBIUS_H
#define BREV_NEBIUS_H

#include "common.h"
#include "errors.h"
#include "client.h"
#include "instance.h"
#include "catalog.h"
#include "firewall.h"
#include "policy.h"

#endif
