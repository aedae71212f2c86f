/* The vpc.v1 resource kinds the library drives. */
#include "compute/resource.h"

#include "nebius/vpc/v1/allocation_service.pb-c.h"
#include "nebius/vpc/v1/network_service.pb-c.h"
#include "nebius/vpc/v1/security_group_service.pb-c.h"
#include "nebius/vpc/v1/subnet_service.pb-c.h"

const bn_kind bn_kind_network = {"network", &nebius__vpc__v1__network_service__descriptor, "List", "parent_id"};
const bn_kind bn_kind_subnet = {"subnet", &nebius__vpc__v1__subnet_service__descriptor, "List", "parent_id"};
const bn_kind bn_kind_allocation = {"allocation", &nebius__vpc__v1__allocation_service__descriptor, "List",
                                    "parent_id"};
const bn_kind bn_kind_security_group = {"security group", &nebius__vpc__v1__security_group_service__descriptor,
                                        "List", "parent_id"};
