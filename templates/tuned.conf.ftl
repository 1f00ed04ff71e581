# ${header}
# TuneD profile for ${who}: TuneD's own ${include}, with rtc's CPUs. Installed as
# /etc/tuned/${profile}/tuned.conf and made active with `tuned-adm profile ${profile}`;
# plan.md lists every setting this makes and where each one comes from.
[main]
summary=rtc: ${include} for ${who}
include=${include}

[variables]
isolated_cores=${isolated}
isolate_managed_irq=Y

[bootloader]
# rtc owns the kernel command line (its GRUB drop-in, or grubby); TuneD would add isolcpus,
# nohz_full, rcu_nocbs and irqaffinity a second time.
enabled=false

[net]
# realtime's channels=combined ${r"${f:check_net_queue_count:${netdev_queue_count}}"}, written out:
# TuneD 2.20 does not expand it when it verifies, so tuned-adm verify would always fail.
channels=combined ${netChannels}
<#if balanced??>

[cpu]
# host.power: balanced. This replaces latency-performance's [cpu], whose force_latency holds every
# CPU out of deep C-states and whose min_perf_pct=100 holds every clock up. These CPUs may sleep in
# any C-state (0: no limit) and their clock follows their load.
replace=1
devices=${r"${f:cpulist2devs:"}${balanced.free}}
governor=${balanced.freeGovernor}
energy_perf_bias=normal
energy_performance_preference=${balanced.freeEpp}
pm_qos_resume_latency_us=0
<#if balanced.held?has_content>

[cpu_rt]
# The real-time VMs' CPUs: per CPU, only idle states that wake within ${balanced.heldLatency} us (C1), at full clock.
type=cpu
devices=${r"${f:cpulist2devs:"}${balanced.held}}
governor=performance
energy_perf_bias=performance
energy_performance_preference=performance
pm_qos_resume_latency_us=${balanced.heldLatency}
</#if>
</#if>
<#if psBlacklist?has_content>

[scheduler]
# ${include}'s list, and QEMU as Debian and Ubuntu name it (qemu-system-x86): TuneD must not
# move the vCPU threads libvirt pinned to isolated CPUs.
ps_blacklist=${psBlacklist}
</#if>
