# ${header}
# Shrinks the resctrl default group to the host's planned ways at every boot, before libvirt
# starts: libvirt finds free ways for the real-time VMs' <cachetune> only outside the default
# group.<#if groups?has_content> Then makes rtc's own group for each real-time VM (host.cacheOwner:
# resctrl): its cpus_list is the host CPUs its real-time vCPUs run on, so whatever runs there uses
# the group's ways.</#if> Installed by runbook.sh as /etc/systemd/system/rtc-resctrl.service.
[Unit]
Description=rtc: resctrl default group for ${bundle} (${summary})
After=local-fs.target
Before=libvirtd.service virtqemud.service
ConditionPathIsDirectory=/sys/fs/resctrl

[Service]
Type=oneshot
RemainAfterExit=yes
# Mounted with the options the plan needs (${mountWhat}); a resctrl mounted
# otherwise is refused with a message, because the lines below would not fit it.
ExecStartPre=/bin/sh -c 'if mountpoint -q /sys/fs/resctrl; then ${mountCheck} || { echo "rtc: /sys/fs/resctrl is mounted ${mountWrong}; unmount it (umount /sys/fs/resctrl) or reboot, and start this unit again" >&2; exit 1; }; else mount -t resctrl ${mountArgs}resctrl /sys/fs/resctrl; fi'
ExecStart=/bin/sh -c 'exec cat /etc/rtc/resctrl/schemata > /sys/fs/resctrl/schemata'
<#list groups as g>
# ${g}: the CPUs its real-time vCPUs are pinned to, and its ways (the directory may exist from an earlier start).
ExecStart=-/bin/mkdir /sys/fs/resctrl/${g}
ExecStart=/bin/sh -c 'exec cat /etc/rtc/resctrl/${g}/cpus_list > /sys/fs/resctrl/${g}/cpus_list'
ExecStart=/bin/sh -c 'exec cat /etc/rtc/resctrl/${g}/schemata > /sys/fs/resctrl/${g}/schemata'
</#list>

[Install]
WantedBy=multi-user.target
