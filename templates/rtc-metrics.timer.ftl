# ${header}
# Runs rtc-metrics.service (runbook.sh metrics of ${bundle}) every ${every} seconds. Installed and
# started by runbook.sh (step host) as /etc/systemd/system/rtc-metrics.timer; rollback removes it.
[Unit]
Description=rtc: metrics of ${bundle} every ${every} seconds

[Timer]
OnBootSec=2min
OnUnitActiveSec=${every}s
AccuracySec=10s

[Install]
WantedBy=timers.target
