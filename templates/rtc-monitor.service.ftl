# ${header}
# The latency sampler of the real-time VM ${vm}: one ${window}-second cyclictest window at SCHED_FIFO
# ${priority} on its isolated vCPUs ${cpus}, added to /var/lib/rtc/monitor (rtc-monitor.timer runs it
# every ${every} seconds). Installed by cloud-init as /etc/systemd/system/rtc-monitor.service.
[Unit]
Description=rtc: latency sample of ${vm} (${window} s on vCPUs ${cpus})

[Service]
Type=oneshot
# The script, awk and cyclictest's main thread stay on the housekeeping vCPUs; only the measuring
# threads run on the isolated ones (cyclictest -a).
CPUAffinity=${housekeeping}
LimitMEMLOCK=infinity
ExecStart=/bin/bash /usr/local/sbin/rtc-monitor
TimeoutStartSec=2min
