# Bundle ${bundle}

<!-- ${header} -->

This folder turns one host into a real-time KVM host with ${vms?size} VMs, following Intel's guide
"Implementing Converged Mixed-Criticality Workloads on Intel-Based Virtualized Systems". It was
compiled by rtc from a manifest; `plan.md` explains every choice. Check the files arrived intact:

    sha256sum -c SHA256SUMS

## What it changes on the host

<#list kernels as k><#if k.who == "host">
- Kernel: ${k.name}<#if k.from?has_content>, ${k.from}</#if>; ${k.boot}.
</#if></#list>
- Tuning: TuneD profile `${tunings[0].profile}`, built on TuneD's `${tunings[0].include}` with the isolated
  CPUs `${isolated}` (plan.md lists every setting and its reason).
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
<#if hugepagesUnit>
- Hugepages: `rtc-hugepages.service` reserves the VMs' pages on their NUMA nodes at every boot.
</#if>
<#if devices?has_content>
- Devices: <#list devices as d>`${d.what}` to `${d.vm}`<#sep>, </#list>, through VFIO: libvirt takes each from its
  host driver when its VM starts and gives it back when the VM stops; the kernel arguments turn the
  IOMMU on (`intel_iommu=on iommu=pt`)<#if sriov?has_content>, and `rtc-sriov.service` makes the SR-IOV virtual
  functions at every boot (<#list sriov as f>${f}<#sep>, </#list>)</#if>.
</#if>
- VMs: <#list vms as vm>`${vm.name}` (${vm.role}, CPUs ${vm.hostCpus})<#sep>, </#list>, defined in
  libvirt from `vms/*/domain.xml`, with disks and cloud-init seeds under `/var/lib/libvirt/images/rtc/`,
  and started after every boot in this order by `rtc-vms.service`.

## What the site must provide

- Base images, in place before the images step:
<#list supplies.images as i>
  - `${i.path}` for ${i.vms}<#if i.sha256?has_content> (sha256 `${i.sha256}`, which the images step checks)</#if>: from ${i.origin}.
</#list>
- Host packages, installed by the host step from the host's own repositories: `${supplies.hostPackages}`.
<#list supplies.guestPackages as g>
- Packages for `${g.vm}`, installed by cloud-init at its first boot: `${g.packages}`.
</#list>
<#list supplies.repositories as r>
- Repository: ${r}.
</#list>
<#if supplies.proToken>
- An Ubuntu Pro token in `/etc/rtc/ubuntu-pro-token` on the host (mode 0600): the real-time
  kernel comes with Ubuntu Pro. It is read there, and never written into this bundle. The guests
  attach with cloud-init's `ubuntu_pro`, which cloud-init 24.1 and newer read (Ubuntu's current
  22.04 and 24.04 cloud images); on an older image, whose cloud-init reads no `ubuntu_pro`, the
  real-time guest's first boot attaches with the same token itself (`pro attach`, then
  `pro enable realtime-kernel`).
</#if>
<#if supplies.rhelKey>
- A Red Hat activation key in `/etc/rtc/rhel-activation-key` on the host (mode 0600), two lines
  `org=<organization ID>` and `key=<activation key name>`: the real-time RHEL guests register with
  it at first boot (their RT and NFV repositories). It is read there, and never written into this
  bundle; a site mirror of RHEL (`site.mirrors.rhel`) needs none.
</#if>
<#if usesDefaultNetwork>
- libvirt's NAT network `default` (the vms step defines it from `host/libvirt/networks/default.xml` if it is missing).
</#if>
<#list siteNetworks as n>
- libvirt network `${n}`, defined and active (preflight checks it).
</#list>
<#list bridges as b>
- Linux bridge `${b}` on the host, with its uplink (preflight checks it).
</#list>
<#list macvtaps as i>
- Host interface `${i}`, cabled, for the VMs' macvtap NICs (preflight checks it).
</#list>
<#if devices?has_content>
- The devices of `host.devices` in their slots, as probed (preflight checks each one's ids, node and driver).
</#if>
- The BIOS set as in the checklist below (made for this platform's class and this plan).

**An offline site** (no internet on the host):

1. Fetch each base image above on a connected machine, and check it against the vendor's checksums.
2. Carry the images to the host into `/var/lib/libvirt/images/base/`; `disk.sha256` in the manifest
   makes the images step check each one there.
3. The host step installs its packages from the host's own repositories: a local mirror or an
   installation medium the package manager knows.
4. The guests install theirs at their first boot. They need a site mirror (`site.mirrors` in the
   manifest) or a proxy (`site.proxy`). Without either, an offline guest cannot install its
   real-time kernel and tools.

## BIOS checklist

Before step 1, reboot into the BIOS setup (Delete or F2 while booting).

- **Note the current settings first.** Photograph each page, or save a profile where the BIOS offers
  one: rollback cannot undo a BIOS setting.
- **Do not load the defaults.** On a plant's machine that can reset the boot order, RAID and the
  BMC's network. Change only the rows below.

This host is taken for <#if platformClass == "embedded">an<#else>a</#if> **${platformClass}** platform (${platformWhy}), and the rows are that
class's<#if platformWhy != "host.platform says so"> (if that is wrong, say `host.platform` in the manifest and compile again)</#if>. They are
made for `host.power: ${power.mode}`: <#if power.balanced>C-states and SpeedStep stay on, because <#if power.held?has_content>Linux holds only the
real-time VMs' CPUs `${power.held}` awake, per CPU, and lets the others sleep<#else>there is no real-time VM
whose CPUs Linux would hold awake: every CPU may sleep</#if><#else>C-states and clock changes go off for
every CPU (`host.power: balanced` would keep them on for CPUs `${power.others}`, and save power)</#if>. Names and
menus differ by vendor: each row says what to look for. Set as many as the BIOS has.

preflight checks what Linux shows of them: VT-x and threads per core, and with devices the IOMMU
after the reboot.

| done | setting | option | usually under |
|---|---|---|---|
<#list bios as b>
| ☐ | ${b.setting} | **${b.option}**<#if b.note?has_content> (${b.note})</#if> | ${b.menu} |
</#list>

## Steps

Run as root from this folder. Every step prints what it does and checks it; every step is safe to
run again; `--dry-run` prints every change without making one, and writes nothing. A step that
changes the host first checks that this is the manifest's host, and changes nothing if it is not.
Backups, the record of what changed, the log and the benchmark's evidence are kept in
`/var/lib/rtc/${bundle}/`, outside this folder.

| # | command | what it does | takes | good looks like |
|---|---|---|---|---|
| 1 | `./runbook.sh preflight` | compares this host's OS, CPUs, NUMA nodes and cache with the manifest; checks the images, the packages, and that nothing else sets rtc's kernel arguments | seconds | a table of `ok` rows and `ready for: ./runbook.sh host` |
| 2 | `./runbook.sh host` | installs the real-time kernel and TuneD's profile, <#if grubby>sets the kernel arguments with `grubby`<#else>installs the GRUB drop-in, runs `${grubUpdate}`</#if><#if cache??>, installs the boot units</#if> | minutes | `host: done. Reboot now` |
| 3 | `reboot` | boots the real-time kernel with its arguments | minutes | the host comes back |
| 4 | `./runbook.sh all` | proves the host real-time (check-host), qualifies the platform (its own noise, SMIs, C-states, clock; about ${qualifyMinutes} minutes), creates disks and seeds, defines and starts the VMs, waits for their first boot, proves them (verify), starts the stressors and measures their load, runs the benchmark, packs the evidence | <#if bench??>${bench.duration} plus</#if> ~30 minutes | `RESULT: GREAT` or `RESULT: GOOD`, then `report: send …` |

Step 4 is also `check-host`, `qualify`, `images`, `vms`, `wait`, `verify`, `stress`, `bench`, `report`, one at a
time. The benchmark runs inside the real-time VM on its own: if the terminal is lost, it goes on;
`./runbook.sh status` says how far it is, and `./runbook.sh collect` fetches and judges it once it
is done. If a step stops with `FAIL:`, its message says what differs from the plan and what to
check; fix that and run the same step again.

## Qualifying the platform

`./runbook.sh qualify` measures the platform itself before any latency is judged on it: the
firmware's and hardware's noise (`hwlatdetect`, interrupts off), the kernel's noise on the isolated
CPUs (`rtla osnoise`), the SMIs counted meanwhile, C-states deeper than C1 and clock changes on the
isolated CPUs, and whether I/O shares the real-time VM's cache ways. A single gap of ${qualifyLimitUs} µs
or more fails it<#if bench??> (a quarter of the great threshold: the rest of the budget is the
hypervisor's and the guest's)</#if>. Each run is a record of its own in `/var/lib/rtc/${bundle}/qualify/`
(never overwritten), with the raw outputs beside it. Run it once before `host` to find firmware
trouble early (it is *incomplete* then: the stock kernel has no tracers, and the tuning does not
run yet), and again after the reboot, where it must pass: `bench` gives no verdict on a platform
whose latest record did not pass, or was taken on another kernel, command line or bundle.

| finding | what it means | what to do |
|---|---|---|
| `qualify.hwlat` failed | the firmware takes the CPU away with interrupts off (SMIs, power management) | the BIOS checklist above; update the firmware; the SMI count says whether SMIs are the cause |
| `qualify.osnoise` failed | interrupts, softirqs or kernel threads still run on isolated CPUs | `./runbook.sh check-host`, then `/proc/interrupts` for the isolated CPUs' columns |
| `qualify.cstates` failed | <#if power.balanced>a real-time VM's CPU slept deeper than planned | `tuned-adm verify`: TuneD's rtc profile must run; C1E off in the BIOS<#else>an isolated CPU slept deeper than C1 | package C-states off in the BIOS</#if> |
| `qualify.frequency` failed | the isolated CPUs' clock moves | turbo, EIST and HWP off in the BIOS |
| `qualify.rdt` failed | I/O (DDIO) or another agent fills the real-time VM's cache ways | DDIO off in the BIOS, or the device on the other socket |
| `qualify.iommu` failed | no IOMMU for the devices the VMs get | VT-d on in the BIOS |

If `preflight` finds a different host than the manifest describes, nothing is changed. Send back
this host's facts: `./runbook.sh facts > facts.txt`; `rtc probe facts.txt` turns them into the
manifest's `topology` block.

<#if bench??>
## The benchmark and its verdict

Before it measures, `bench` proves the system: the planned real-time kernels running on the host
and in `${bench.vm}`, every kernel argument present once with rtc's value, the TuneD profiles active
and verified<#if cache??>, the cache groups</#if>, and the stressors loading their vCPUs. If any of that
fails, or the platform's latest qualification did not pass, it gives no verdict (exit code 3)
rather than judge a system that is not the planned one.

`${bench.vm}` runs `${bench.command}` while <#list stressors as s>`${s}`<#sep>, </#list> loads the host.
The worst latency of any thread decides: below ${bench.greatUs} µs is GREAT, below ${bench.goodUs} µs
GOOD, anything else FAIL; so is a missing thread, a run that stopped early, or samples beyond the
histogram. The raw output is kept in the run's folder (`cyclictest.txt`, the histogram, and
`cyclictest.json`). `rtc report <run folder>` on any machine with rtc turns them into
`report.html`: percentiles (p50 to p99.99) and a histogram per thread.

### Why a spike

After cyclictest, `bench` runs an autopsy (about a minute): `rtla timerlat` in each real-time guest on
its isolated vCPUs, stopping at the first window over ${bench.greatUs} µs and saving the trace of what ran
there, while the host traces the CPUs those vCPUs are pinned to. The traces are kept in the run's
`results/autopsy/`. `rtc report <run folder>` sorts the worst windows into causes (report.md's *Why*,
`causes` in report.json), each with what to change; a FAIL always comes with its causes. It also lists
what ran before the measuring thread across all the traced windows, the most time first (*What else ran*,
`interference` in report.json): a steered interrupt that costs a few µs in many windows eats the margin
though it never makes the worst one.

A host that cannot be judged yet (a check failed, no passed qualification) gets no benchmark. To learn
why anyway, `./runbook.sh bench --diagnose` measures it and takes the autopsy, and the run says NO
VERDICT with its reason; `--autopsy-us N` traces the first window over N µs instead (e.g. a spike of
400 µs seen once, rather than the first window over ${bench.greatUs} µs).

| cause | what it means | what to change |
|---|---|---|
<#list spikeCauses as c>
| `${c.code}` | ${c.title} | ${c.remedy} |
</#list>

</#if>
## Rolling back

    ./runbook.sh --dry-run rollback   # see what it will undo
    ./runbook.sh rollback             # undefines rtc's VMs (their disks stay), restores the kernel arguments, TuneD profile and boot units as they were
    reboot

Rollback undoes only what this bundle's steps recorded, restores every file it replaced from its
backup, leaves domains it did not define alone, and goes on past a failure, listing what it could
not undo. Installed kernels stay installed; the default boot entry is the one from before.

## Watching after handover

The host step installs `rtc-metrics.timer`: every 5 minutes, on the housekeeping CPUs, it runs this
bundle's `runbook.sh metrics` (from the copy kept in `/var/lib/rtc/${bundle}/bundle`) into node_exporter's
textfile folder, `${textfileDir}` (another: `systemctl edit rtc-metrics.service`, then
`Environment=RTC_TEXTFILE_DIR=/that/folder`). It changes nothing. It writes what `check-host` proves,
what `verify` proves in each real-time guest, each real-time guest's sampled latency, the SMIs and device
interrupts on the isolated CPUs, and resctrl's counters, labelled with this bundle and the digest of its files.

Each real-time guest samples its own latency: `rtc-monitor.timer` runs 5 s of cyclictest every 10 minutes
on its isolated vCPUs at SCHED_FIFO 1, the lowest real-time priority. It waits behind the application and
never preempts it; its only intrusion is a timer interrupt a millisecond during its window, under 1% of the
time. It skips its window while `bench` measures.

To point an existing Prometheus at it:

1. Scrape the host's node_exporter, started with its textfile collector on that folder.
2. Add `monitoring/rtc-${bundle}.rules.yml` to Prometheus's `rule_files`. It alerts when:
   - the host or a guest drifts from the plan, or runs another kernel or bundle;
   - a sampled latency passes the budget, or the 99.9th percentile burns into it;
   - the metrics or a sampler stop;
   - interrupts and SMIs reach the isolated CPUs.
3. Import `monitoring/rtc-${bundle}.dashboard.json` into Grafana.

Without Prometheus, `./runbook.sh metrics` prints the same facts. `./runbook.sh report` also fetches the
guests' daily latency histograms, and `rtc report` on the run draws them, day by day, the worst day first
(`longterm.html`).

## Send back

`/var/lib/rtc/${bundle}/reports/rtc-${bundle}-<run>.tar.gz` (made by `./runbook.sh report`, also the
last part of `all`; a second report never replaces an earlier one): the benchmark's output and
verdict, the autopsy's traces, the platform's qualification record, the stressors' load, the runbook's log, the host's kernel, command line<#if cache??>, resctrl groups</#if>
and topology facts, each VM's live domain XML, with checksums, and `plan.json`.

## Files

| file | what it is |
|---|---|
| `runbook.sh` | the steps above, with this deployment's plan |
| `runbook-steps.sh` | what each step does, sourced by `runbook.sh`; the same in every bundle of this rtc version |
| `plan.md`, `plan.json` | the CPU and cache plan, kernels and tuning, with reasons |
| `plan.html` | the same plan drawn: CPU map per NUMA node<#if cache??>, way map per L${cache.level} instance</#if> |
<#if !grubby>
| `host/grub/99-rtc.cfg` | host kernel arguments and default kernel, for `/etc/default/grub.d/` |
</#if>
| `host/tuned/${tunings[0].profile}/tuned.conf` | the host's TuneD profile, for `/etc/tuned/` |
| `host/libvirt/networks/default.xml` | the VMs' network, defined if the host lacks it |
<#if cache??>
| `host/resctrl/schemata` | the host's L${cache.level} ways, written to `/sys/fs/resctrl/schemata` at boot |
<#list cache.groups as g>
| `host/resctrl/${g.name}/` | `cpus_list` and `schemata` of ${g.name}, written to `/sys/fs/resctrl/${g.name}/` at boot |
</#list>
| `host/systemd/rtc-resctrl.service` | the unit that writes <#if cache.groups?has_content>them<#else>it</#if> |
</#if>
<#if hugepagesUnit>
| `host/systemd/rtc-hugepages.service` | the unit that reserves hugepages per NUMA node |
</#if>
| `host/systemd/rtc-vms.service` | the unit that starts the VMs after every boot, in plan order |
| `vms/<vm>/domain.xml` | the libvirt domain, complete |
| `vms/<vm>/user-data`, `meta-data` | cloud-init (NoCloud) for the VM's first boot |
<#if !grubby>
| `vms/<vm>/grub/99-rtc.cfg` | the guest's kernel arguments (also inside user-data) |
</#if>
| `vms/<vm>/tuned/` | a real-time guest's TuneD profile (also inside user-data) |
| `vms/<vm>/rtc-stress.sh` | a stressor's workload (also inside user-data) |
| `SHA256SUMS` | checksums of every file |
