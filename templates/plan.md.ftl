# Plan for ${bundle}

<!-- ${header} -->

What rtc decided for this host, and why. `README.md` says how to apply it; `plan.json` holds the
same plan for machines.

## CPU map

One character per CPU, in ascending CPU order within each NUMA node.

| mark | meaning |
|---|---|
<#list legend as l>
| `${l.mark}` | ${l.meaning} |
</#list>

```
<#list nodes as n>
node ${n.id}  ${n.map}   CPUs ${n.cpus}
<#if n.types??>
${""?left_pad(5 + n.id?string?length)}  ${n.types}   core types: P = P-core, E = E-core, L = low-power E-core
</#if>
</#list>
```

Housekeeping CPUs: `${housekeeping}`. Isolated CPUs: `${isolated}`.

## Power: `${power.mode}`

<#if power.balanced && !power.held?has_content>
No CPU is held: there is no real-time VM. Every CPU may sleep in any C-state and clock down with its
load (TuneD's `cpu` in the host's profile, under Runtime tuning); the kernel command line keeps the
idle and P-state drivers. A real-time VM added later gets its CPUs held.
<#elseif power.balanced>
The real-time VMs' CPUs `${power.held}` are held out of deep C-states and at full clock, each by its
own PM QoS limit (only idle states that wake within ${power.heldUs} µs) and the performance governor.
<#if power.free?has_content>CPUs `${power.free}` may sleep in any C-state and clock down with their load. </#if>TuneD sets both
(`cpu` and `cpu_rt` in the host's profile, under Runtime tuning); the kernel command line keeps the
idle and P-state drivers. The real-time VMs wake as fast as under `lowest-latency`; housekeeping
work and a stressor run on clocks that move. `host.power: lowest-latency` holds every CPU instead
(the command line changes: a reboot).
<#else>
Every CPU is held out of deep C-states and at a fixed clock: the command line's `intel_pstate=disable
intel_idle.max_cstate=0 processor.max_cstate=1` and TuneD's latency-performance. The host draws
nearly full power even when idle. `host.power: balanced` would hold only <#if power.realtime?has_content>CPUs `${power.realtime}`
(the real-time VMs')<#else>no CPU (there is no real-time VM)</#if> and let the others sleep and clock down: the same wake-up
latency for the real-time VMs, less power (the command line changes: a reboot).
</#if>

## VMs, in start order

<#list vms as vm>
### ${vm.order}. ${vm.name} (${vm.role}, `${vm.letter}` in the maps)

- NUMA node ${vm.node}${vm.coreType}, ${vm.vcpus} vCPUs, ${vm.memory} (memory bound to node ${vm.node})
- vCPU → host CPU: ${vm.pins}
- emulator threads: CPUs ${vm.emulator}
<#if vm.role == "realtime">
- real-time vCPUs in the guest: ${vm.rtVcpus} (FIFO 10); ${vm.guestHk}: guest housekeeping (FIFO 1)
</#if>
<#list vm.cache as c>
- cache: ${c}
</#list>
<#list vm.bandwidth as b>
- memory bandwidth: ${b}
</#list>
<#list vm.nics as n>
- ${n}
</#list>
<#list vm.devices as d>
- ${d}
</#list>

</#list>
<#if cache??>
## L${cache.level} way map

Each instance has ${cache.size} in ${cache.ways} ways (cbm_mask `${cache.cbmMask}`), so one way is
${cache.wayBytes}. min_cbm_bits ${cache.minCbmBits}, ${cache.closidsSaid}. One character per way,
way 0 on the left: `H` host (the resctrl default group), a VM's letter for its group, `.` unallocated.

```
<#list cache.instances as i>
instance ${i.id}  ${i.map}   ${i.owners}
</#list>
            ${cache.scale}
```

The host asked for ${cache.hostAsked} and keeps ${cache.hostWays} ways; its default group is
`${cache.schemata}`. VM masks are the ones libvirt will choose when the VMs start in the order
above; `runbook.sh verify` checks them on the host.

</#if>
## Kernel arguments

Host (<#if grubby>set with `grubby --update-kernel=ALL`<#else>`host/grub/99-rtc.cfg`</#if>), in this fixed order:

| argument | why |
|---|---|
<#list hostArgs as a>
| `${a.arg}` | ${a.why} |
</#list>

Each of these keys has one owner: <#if grubby>grubby replaces an entry's earlier value of it<#else>the drop-in takes any other value of
it out of `GRUB_CMDLINE_LINUX_DEFAULT` (say, an administrator's `tsc=nowatchdog` or `mce=bootlog`)</#if>, and `runbook.sh preflight`
names each value it replaces, and the file it comes from, before anything is changed.

<#list vms as vm>
<#if vm.guestArgs?has_content>
Guest ${vm.name} (<#if vm.grubby>set with `grubby` by cloud-init<#else>`vms/${vm.name}/grub/99-rtc.cfg`, installed by cloud-init</#if>):

| argument | why |
|---|---|
<#list vm.guestArgs as a>
| `${a.arg}` | ${a.why} |
</#list>

</#if>
</#list>
## Kernels

Installed by the host step (host) or by cloud-init at the VM's first boot (guests). check-host
and verify prove that each runs, built with PREEMPT_RT, with a release like the one shown.

| where | kernel | from | packages | release | boots by default because |
|---|---|---|---|---|---|
<#list kernels as k>
| ${k.who} | ${k.name} | ${k.from} | `${k.packages}` | <#if k.release?has_content>`${k.release}`<#else>any</#if> | ${k.boot} |
</#list>

<#if hugepagesUnit>
The hugepages are reserved per NUMA node by `host/systemd/rtc-hugepages.service` early at boot
(see the decision below), and check-host reads each node's count back.

</#if>
## Runtime tuning

TuneD applies it, from a profile that includes TuneD's own real-time KVM profile with rtc's CPUs
(`host/tuned/`, and in each real-time VM through cloud-init); rtc changes only what it must own.
`from` names the TuneD profile that sets each value (latency-performance ← network-latency ←
realtime ← realtime-virtual-host or -guest), or rtc.

<#list tunings as t>
### ${t.who}: profile `${t.profile}` on `${t.include}`

| setting | value | from | why |
|---|---|---|---|
<#list t.settings as x>
| ${x.what} | `${x.value}` | ${x.from} | ${x.why} |
</#list>

Read back by <#if t.who == "host">check-host<#else>verify (through the guest agent)</#if>: the profile active, `tuned-adm verify`, and <#list t.checks as c>${c}<#sep>, </#list>.

</#list>
## Decisions

<#list decisions as d>
- **${d.subject}**: ${d.what}. *Why:* ${d.why}.
</#list>

## Notes

- No watchdog device: the guide's `model='itco'` is refused by Debian 12's libvirt 9.0, and an
  emulated i6300esb adds a timer to the emulator threads. The guest agent serves health checks.
- Each VM boots with a cloud-init seed image attached as a CD-ROM (`${r"<vm>"}-seed.iso`); its
  `instance-id` changes whenever user-data changes, so a changed bundle is applied again.
