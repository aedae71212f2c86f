/* The host layer: a cloud-config fragment that repeats the security model on
 * the VM itself, behind the cluster's security group. It matters for one case
 * the group cannot see: ports Docker publishes are DNAT'ed through FORWARD and
 * bypass ufw's INPUT policy, so they are filtered in Docker's DOCKER-USER hook. */
#include <brev/policy.h>

#include "util/error.h"
#include "util/str.h"

#define HOST_SCRIPT_PATH "/usr/local/sbin/brev-host-firewall"
#define HOST_DROPIN_PATH "/etc/systemd/system/docker.service.d/50-brev-host-firewall.conf"
#define HOST_UNIT_NAME "brev-host-firewall.service"

static const char host_fragment[] =
    "#cloud-config\n"
    "# libbrev-nebius host firewall: deny inbound, allow outbound, SSH open;\n"
    "# container traffic filtered in DOCKER-USER. The cluster's security group\n"
    "# is the primary control; this is the second layer.\n"
    "packages:\n"
    "  - ufw\n"
    "  - iptables\n"
    "write_files:\n"
    "  - path: " HOST_SCRIPT_PATH "\n"
    "    owner: root:root\n"
    "    permissions: '0755'\n"
    "    content: |\n"
    "      #!/bin/sh\n"
    "      # Filters traffic forwarded to containers. Idempotent: rebuilds the\n"
    "      # chain from scratch on every run. Never fails the caller.\n"
    "      command -v iptables >/dev/null 2>&1 || exit 0\n"
    "      iptables -w -N DOCKER-USER 2>/dev/null || true\n"
    "      iptables -w -F DOCKER-USER || exit 0\n"
    "      # replies to connections the containers opened\n"
    "      iptables -w -A DOCKER-USER -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
    "      # containers reaching out (bridge to anywhere else) and talking to each other\n"
    "      for bridge in docker0 'br+' 'cni+' 'cali+'; do\n"
    "        iptables -w -A DOCKER-USER -i \"$bridge\" ! -o \"$bridge\" -j ACCEPT\n"
    "        iptables -w -A DOCKER-USER -i \"$bridge\" -o \"$bridge\" -j ACCEPT\n"
    "      done\n"
    "      iptables -w -A DOCKER-USER -i lo -j ACCEPT\n"
    "      # everything else forwarded to a container (published ports from outside)\n"
    "      iptables -w -A DOCKER-USER -j DROP\n"
    "      exit 0\n"
    "  - path: " HOST_DROPIN_PATH "\n"
    "    owner: root:root\n"
    "    permissions: '0644'\n"
    "    content: |\n"
    "      [Service]\n"
    "      # Docker recreates its chains when it starts: re-apply ours after it.\n"
    "      # The leading '-' keeps a failing script from failing docker.service.\n"
    "      ExecStartPost=-" HOST_SCRIPT_PATH "\n"
    "  - path: /etc/systemd/system/" HOST_UNIT_NAME "\n"
    "    owner: root:root\n"
    "    permissions: '0644'\n"
    "    content: |\n"
    "      [Unit]\n"
    "      Description=libbrev-nebius host firewall for container traffic\n"
    "      After=network-pre.target\n"
    "      Before=docker.service\n"
    "      [Service]\n"
    "      Type=oneshot\n"
    "      RemainAfterExit=yes\n"
    "      ExecStart=-" HOST_SCRIPT_PATH "\n"
    "      [Install]\n"
    "      WantedBy=multi-user.target\n"
    "runcmd:\n"
    "  - [systemctl, daemon-reload]\n"
    "  - [ufw, default, deny, incoming]\n"
    "  - [ufw, default, allow, outgoing]\n"
    "  - [ufw, allow, 22/tcp]\n"
    "  - [ufw, --force, enable]\n"
    "  - [systemctl, enable, --now, " HOST_UNIT_NAME "]\n";

int brev_policy_host_firewall_cloud_init(char **out)
{
    if (!out)
        return bn_err_set(BREV_EINVAL, "host firewall: out must not be NULL");
    *out = bn_strdup(host_fragment);
    return *out ? BREV_OK : BREV_ENOMEM;
}
