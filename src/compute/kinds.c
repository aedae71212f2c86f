/* The compute.v1 resource kinds the library drives. */
#include "compute/resource.h"

#include "nebius/compute/v1/disk_service.pb-c.h"
#include "nebius/compute/v1/image_service.pb-c.h"
#include "nebius/compute/v1/instance_service.pb-c.h"
#include "nebius/compute/v1/platform_service.pb-c.h"

const bn_kind bn_kind_instance = {"instance", &nebius__compute__v1__instance_service__descriptor, "List", "parent_id"};
const bn_kind bn_kind_disk = {"disk", &nebius__compute__v1__disk_service__descriptor, "List", "parent_id"};
const bn_kind bn_kind_image = {"image", &nebius__compute__v1__image_service__descriptor, "List", "parent_id"};
const bn_kind bn_kind_platform = {"platform", &nebius__compute__v1__platform_service__descriptor, "List", "parent_id"};
