# ${header}
# Shrinks the resctrl default group to the host's planned L3 ways at every boot, before libvirt
# starts: libvirt finds free ways for the real-time VMs' <cachetune> only outside the default
# group. Installed by runbook.sh as /etc/systemd/system/rtc-resctrl.service.
[Unit]
Description=rtc: resctrl default group for ${bundle} (${summary})
After=local-fs.target
Before=libvirtd.service virtqemud.service
ConditionPathIsDirectory=/sys/fs/resctrl

[Service]
Type=oneshot
RemainAfterExit=yes
# Mounting twice fails harmlessly; the write below fails loudly if resctrl is really missing.
ExecStartPre=-/bin/mount -t resctrl resctrl /sys/fs/resctrl
ExecStart=/bin/sh -c 'exec cat /etc/rtc/resctrl/schemata > /sys/fs/resctrl/schemata'

[Install]
WantedBy=multi-user.target
