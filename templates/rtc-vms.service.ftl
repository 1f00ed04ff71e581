# ${header}
# Starts the VMs of ${bundle} after every boot, one after the other in the plan's order, once the
# cache groups, hugepages and tuning are in place: libvirt gives each real-time VM the cache ways
# it finds free when that VM starts, so only this order gives the masks plan.md predicts. The VMs
# are not set to libvirt's autostart, which starts them in no fixed order. Installed by
# runbook.sh (step vms) as /etc/systemd/system/rtc-vms.service.
[Unit]
Description=rtc: start the VMs of ${bundle} in plan order (<#list vms as vm>${vm}<#sep>, </#list>)
After=libvirtd.service virtqemud.service rtc-resctrl.service rtc-hugepages.service <#if sriov>rtc-sriov.service </#if>tuned.service network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
<#list vms as vm>
ExecStart=/bin/sh -c 'test "$$(virsh -c qemu:///system domstate ${vm})" = running || virsh -c qemu:///system start ${vm}'
</#list>

[Install]
WantedBy=multi-user.target
