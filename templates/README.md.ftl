# Bundle ${bundle}

<!-- ${header} -->

This folder turns one host into a real-time KVM host with ${vms?size} VMs, following Intel's guide
"Implementing Converged Mixed-Criticality Workloads on Intel-Based Virtualized Systems". It was
compiled by rtc from a manifest; `plan.md` explains every choice. Check the files arrived intact:

    sha256sum -c SHA256SUMS

## What it changes on the host

<#if grubby>
- Kernel command line: adds ${hostArgs?size} real-time arguments to every boot entry with
  `grubby --update-kernel=ALL` (isolates CPUs `${isolated}`, keeps `${housekeeping}` for the host).
<#else>
- Kernel command line: adds ${hostArgs?size} real-time arguments through
  `/etc/default/grub.d/99-rtc.cfg` (isolates CPUs `${isolated}`, keeps `${housekeeping}` for the host).
</#if>
<#if cache??>
<#if cache.rtcOwned>
- Cache: a systemd unit `rtc-resctrl.service` mounts resctrl at every boot, limits the host's
  default group to `${cache.schemata}`, and makes one group per real-time VM<#list cache.groups as g> (`${g.name}`:
  CPUs ${g.cpus})</#list>. A group's `cpus_list` is the host CPUs the VM's real-time vCPUs are pinned
  to, so everything that runs there uses the group's L${cache.level} ways; libvirt is not asked (it cannot
  allocate L2, and a libvirt group would take the vCPU threads away from the CPU group).
<#else>
- Cache: a systemd unit `rtc-resctrl.service` mounts resctrl and limits the host's default group
  to `${cache.schemata}` at every boot, before libvirt starts, so real-time VMs can own L3 ways.
</#if>
</#if>
- VMs: <#list vms as vm>`${vm.name}` (${vm.role}, CPUs ${vm.hostCpus})<#sep>, </#list>, defined in
  libvirt from `vms/*/domain.xml`, with disks and cloud-init seeds under `/var/lib/libvirt/images/rtc/`.

## Before you start

- Debian/Ubuntu host packages: `qemu-system-x86 libvirt-daemon-system libvirt-clients qemu-utils cloud-image-utils jq`.
- BIOS as in the guide's table: Hyper-Threading off, VT-x and VT-d on, C-states, SpeedStep and Turbo off.
- The cloud images named in the manifest, in `/var/lib/libvirt/images/base/`.

## Steps

Run as root from this folder. Every step prints what it does and checks it; every step is safe to
run again; `--dry-run` prints the commands without running them. Everything is logged to
`results/runbook.log`.

| # | command | what it does | takes | good looks like |
|---|---|---|---|---|
| 1 | `./runbook.sh preflight` | compares this host's CPUs, NUMA nodes and resctrl info with the manifest | seconds | a table of `ok` rows and `host matches the manifest` |
| 2 | `./runbook.sh host` | <#if grubby>sets the kernel arguments with `grubby`<#else>installs the GRUB drop-in, runs `${grubUpdate}`</#if><#if cache??>, installs the resctrl unit</#if> | a minute | `host: done. Reboot now` |
| 3 | `reboot` | boots the isolated kernel command line | minutes | the host comes back |
| 4 | `./runbook.sh all` | checks the reboot, creates disks and seeds, defines and starts the VMs, verifies pins<#if cache??> and cache masks</#if>, starts the stressors, runs the benchmark, collects `results/` | <#if bench??>${bench.duration} plus</#if> ~15 minutes | `RESULT: GREAT` or `RESULT: GOOD`, then `report: send …/results-${bundle}.tar.gz` |

Step 4 is also `check-host`, `images`, `vms`, `verify`, `stress`, `bench`, `report`, one at a time.
The first boot of each VM installs packages and reboots once (cloud-init); wait for it before
`verify`. If a step stops with `FAIL:`, its message says what differs from the plan and what to
check; fix that and run the same step again.

If `preflight` finds a different host than the manifest describes, it records the host's real
topology in `results/host/facts.txt` (`./runbook.sh facts` does only that). Send that file back:
`rtc probe facts.txt` turns it into the manifest's `topology` block.

<#if bench??>
## The benchmark and its verdict

`${bench.vm}` runs `${bench.command}` while <#list stressors as s>`${s}`<#sep>, </#list> loads the host.
The worst latency of any thread decides: below ${bench.greatUs} µs is GREAT, below ${bench.goodUs} µs
GOOD, anything else FAIL; so is a missing thread, a run that stopped early, or samples beyond the
histogram. The raw output is kept in `results/cyclictest.txt` (histogram) and
`results/cyclictest.json`. `rtc report <this folder>` on any machine with rtc turns them into
`results/report.html`: percentiles (p50 to p99.99) and a histogram per thread.

</#if>
## Rolling back

    ./runbook.sh --dry-run rollback   # see what it will undo
    ./runbook.sh rollback             # undefines the VMs (their disks stay), removes the kernel arguments<#if cache??> and the resctrl unit</#if>
    reboot

## Send back

`results-${bundle}.tar.gz` (made by `./runbook.sh report`, also the last part of `all`): the
runbook's log, the benchmark output, the host's live command line<#if cache??>, resctrl groups</#if>, CPU
list and topology facts, each VM's live domain XML, with checksums, and `plan.json`.

## Files

| file | what it is |
|---|---|
| `runbook.sh` | the steps above |
| `plan.md`, `plan.json` | the CPU and cache plan, with reasons |
| `plan.html` | the same plan drawn: CPU map per NUMA node<#if cache??>, way map per L${cache.level} instance</#if> |
<#if !grubby>
| `host/grub/99-rtc.cfg` | host kernel arguments, for `/etc/default/grub.d/` |
</#if>
<#if cache??>
| `host/resctrl/schemata` | the host's L${cache.level} ways, written to `/sys/fs/resctrl/schemata` at boot |
<#list cache.groups as g>
| `host/resctrl/${g.name}/` | `cpus_list` and `schemata` of ${g.name}, written to `/sys/fs/resctrl/${g.name}/` at boot |
</#list>
| `host/systemd/rtc-resctrl.service` | the unit that writes <#if cache.groups?has_content>them<#else>it</#if> |
</#if>
| `vms/<vm>/domain.xml` | the libvirt domain, complete |
| `vms/<vm>/user-data`, `meta-data` | cloud-init (NoCloud) for the VM's first boot |
<#if !grubby>
| `vms/<vm>/grub/99-rtc.cfg` | the guest's kernel arguments (also inside user-data) |
</#if>
| `vms/<vm>/rtc-stress.sh` | a stressor's workload (also inside user-data) |
| `SHA256SUMS` | checksums of every file |
