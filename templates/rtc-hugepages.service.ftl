# ${header}
# Reserves the VMs' hugepages on their NUMA nodes early at every boot, before libvirt: this host's
# kernel (${kernel}) takes no per-node counts on its command line (hugepages=NODE:COUNT came in
# Linux 5.16), and a plain count would be spread over every node. Fails, and says how many pages
# it got, when a node has no room. Installed by runbook.sh as
# /etc/systemd/system/rtc-hugepages.service.
[Unit]
Description=rtc: hugepages per NUMA node for ${bundle} (<#list pools as p>${p.pages} x ${p.size} on node ${p.node}<#sep>, </#list>)
DefaultDependencies=no
After=local-fs.target
Before=libvirtd.service virtqemud.service rtc-vms.service sysinit.target

[Service]
Type=oneshot
RemainAfterExit=yes
<#list pools as p>
ExecStart=/bin/sh -c 'echo ${p.pages} > ${p.file}'
ExecStart=/bin/sh -c 'got=$$(cat ${p.file}); test "$$got" -ge ${p.pages} || { echo "rtc: node ${p.node} has $$got of the ${p.pages} ${p.size} pages the VMs need" >&2; exit 1; }'
</#list>

[Install]
WantedBy=sysinit.target
