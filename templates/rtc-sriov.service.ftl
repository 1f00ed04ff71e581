# ${header}
# Creates the SR-IOV virtual functions the VMs of ${bundle} are given, at every boot, before
# libvirt starts them: a physical function's sriov_numvfs is 0 after boot. A count that is already
# right is left alone (the kernel refuses to change one non-zero count into another, so a wrong
# one is set to 0 first). Waits up to 30 s for the driver to bring the device up. Installed by
# runbook.sh as /etc/systemd/system/rtc-sriov.service.
[Unit]
Description=rtc: SR-IOV virtual functions for ${bundle} (<#list pfs as p>${p.count} on ${p.address}<#sep>, </#list>)
After=systemd-modules-load.service
Before=libvirtd.service virtqemud.service rtc-vms.service

[Service]
Type=oneshot
RemainAfterExit=yes
<#list pfs as p>
ExecStart=/bin/sh -c 'f=${p.file}; i=0; while [ ! -w "$$f" ] && [ $$i -lt 30 ]; do sleep 1; i=$$((i + 1)); done; n=$$(cat "$$f") || exit 1; [ "$$n" = ${p.count} ] && exit 0; [ "$$n" = 0 ] || echo 0 > "$$f"; echo ${p.count} > "$$f"'
</#list>

[Install]
WantedBy=multi-user.target
