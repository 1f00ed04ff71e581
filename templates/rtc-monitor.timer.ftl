# ${header}
# Runs the latency sampler of ${vm} (rtc-monitor.service) every ${every} seconds, from 45 seconds after
# boot. Installed and enabled by cloud-init as /etc/systemd/system/rtc-monitor.timer.
[Unit]
Description=rtc: latency sample of ${vm} every ${every} seconds

[Timer]
OnBootSec=45s
OnUnitActiveSec=${every}s
AccuracySec=5s

[Install]
WantedBy=timers.target
