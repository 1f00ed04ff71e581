# ${header}
# What ${bundle} proves, every ${every} seconds after handover (rtc-metrics.timer), as metrics in
# node_exporter's textfile folder: check-host's checks, each real-time guest's kernel, arguments
# and tuning and its latency sampler's histogram, SMIs, interrupts on the isolated CPUs, resctrl's
# counters. It runs the bundle's copy that the host step keeps in /var/lib/rtc/${bundle}/bundle,
# on the housekeeping CPUs only, and changes nothing. Installed by runbook.sh (step host) as
# /etc/systemd/system/rtc-metrics.service; another textfile folder: systemctl edit rtc-metrics.service,
# and set Environment=RTC_TEXTFILE_DIR=/that/folder.
[Unit]
Description=rtc: metrics of ${bundle} for node_exporter (runbook.sh metrics)
After=libvirtd.service virtqemud.service rtc-vms.service

[Service]
Type=oneshot
Environment=RTC_TEXTFILE_DIR=${textfileDir}
# Never on a CPU the plan isolates: the checks, virsh and the guest agent's replies stay here.
CPUAffinity=${housekeeping}
Nice=10
IOSchedulingClass=idle
ExecStartPre=/bin/mkdir -p $RTC_TEXTFILE_DIR
ExecStart=/bin/bash /var/lib/rtc/${bundle}/bundle/runbook.sh metrics --textfile $RTC_TEXTFILE_DIR
TimeoutStartSec=${timeout}
