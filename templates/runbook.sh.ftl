#!/bin/bash
# [=header?no_esc]
#
# Provisions, proves and benchmarks the real-time KVM deployment "[=bundle]" on its host.
# Run as root from the bundle folder. The steps, in order (README.md says what each one changes):
#
#   ./runbook.sh preflight   is this the manifest's host, and is it ready? (changes nothing)
#   ./runbook.sh host        real-time kernel, TuneD profile, kernel arguments, boot units; then reboot
#   ./runbook.sh qualify     the platform's own noise, SMIs, C-states, clock, cache allocation (a record
#                            under /var/lib/rtc; bench judges only a platform whose latest record passed)
#   ./runbook.sh all         after the reboot: check-host qualify images vms wait verify stress bench report
#   ./runbook.sh status      how far the benchmark is (also after the terminal was lost)
#   ./runbook.sh collect     fetch and judge a finished benchmark (after the terminal was lost)
#   ./runbook.sh report      pack the last run's evidence into a tarball to send back
#   ./runbook.sh rollback    undo what the steps changed (disks and evidence stay)
#   ./runbook.sh facts       print this host's topology facts (for rtc probe); changes nothing
#   ./runbook.sh metrics [--textfile DIR]   what check-host proves, SMIs, interrupts on the isolated
#                            CPUs and resctrl's counters, for Prometheus (node_exporter's textfile folder)
#   ./runbook.sh guest VM CMD...   run a command in a VM through its guest agent
#
# Each step of 'all' also runs on its own, and every step is safe to run again. Nothing changes
# on a host that is not the manifest's: each step that changes the host checks the topology first.
# Options: --dry-run         print every change instead of making it; writes nothing anywhere
#          --json            also one JSON record per check, change and step on stdout (the text goes
#                            to stderr); rtc's docs/runbook-checks.md lists the IDs and exit codes
#          --duration 10m    run the benchmark for that long instead of the plan's duration
#          --qualify-seconds N  how long each of qualify's noise measures runs (default [=qualify.seconds])
#          --wait-minutes N  how long 'wait' gives each VM's first boot (default 30)
#          --diagnose        bench: measure and take the autopsy even where no verdict can be given
#                            (not as planned, not qualified): the run says why the latency is what it is
#          --autopsy-us N    the autopsy traces the first window over N us (default the great threshold)
#          --replace-disks   images: move a disk made from another base image aside, and make it anew
# Exit codes: 0 done (a verdict: GREAT or GOOD), 1 a check failed or the verdict is FAIL,
#             2 usage, 3 no verdict (not proven real-time, the platform not qualified, or the
#             stressors gave no load).
# Evidence, backups and the record of what changed live in /var/lib/rtc/[=bundle]/, outside
# this folder, so a new bundle never replaces them.
set -Eeuo pipefail

# ---- The plan (generated; every value below comes from the manifest via rtc) ----------------
BUNDLE=[=bundle]
EXPECTED_OS_ID=[=osId]
# What the steps read back, and what the plan says they find: scope|ID|read|compare|planned|what|fix
# (runbook-steps.sh's check engine reads them; rtc's docs/runbook-checks.md lists the IDs).
CHECKS=(
<#list checks as c>  [=c]
</#list>)
# The host's kernel and how to recognise it running (HOST_KERNEL_RT=0: the stock kernel, by choice).
HOST_KERNEL_NAME=[=kernel.name]
HOST_KERNEL_RT=[=kernel.rt]
HOST_KERNEL_RELEASE=[=kernel.release]
HOST_KERNEL_ECI=[=kernel.eci]
HOST_KERNEL_PRO=[=kernel.pro]
NEEDS_PRO_TOKEN=[=proToken?then(1, 0)]
PRO_TOKEN_FILE=${RTC_UBUNTU_PRO_TOKEN_FILE:-/etc/rtc/ubuntu-pro-token}
# Real-time RHEL guests without a site mirror register with an activation key read here, never from the bundle.
NEEDS_RHEL_KEY=[=rhelKey?then(1, 0)]
RHEL_KEY_FILE=${RTC_RHEL_ACTIVATION_KEY_FILE:-/etc/rtc/rhel-activation-key}
RHEL_GUEST_REPOS=(<#list rhelRepos as r>[=r]<#sep> </#list>)
HOST_PACKAGES=(<#list hostPackages as p>[=p]<#sep> </#list>)
# Those of them from the distribution's own repositories, which preflight can look up.
DISTRO_PACKAGES=(<#list distroPackages as p>[=p]<#sep> </#list>)
INSTALL=(<#list install as w>[=w]<#sep> </#list>)
APT=[=apt?then(1, 0)]
EXTRA_REPOS=(<#list extraRepos as r>[=r]<#sep> </#list>)
<#if repo??>
REPO_KEY_URL=[=repo.keyUrl]
REPO_KEYRING=[=repo.keyring]
REPO_LIST=[=repo.file]
REPO_LINE=[=repo.line]
REPO_PREF_FILE=[=repo.prefFile]
REPO_PREF=[=repo.pref]
<#else>
# No repository of rtc's: the packages come from the distribution's own.
REPO_KEY_URL='' REPO_KEYRING='' REPO_LIST='' REPO_LINE='' REPO_PREF_FILE='' REPO_PREF=''
</#if>
HOST_ARGS=(<#list hostArgs as a>[=a]<#sep> </#list>)
HOST_ARG_KEYS=(<#list hostArgKeys as k>[=k]<#sep> </#list>)
GRUBBY=[=grubby?then(1, 0)]
GRUB_UPDATE=(<#list grubUpdate as w>[=w]<#sep> </#list>)
TUNED_PROFILE=[=tunedProfile]
STALLD=[=stalld?then(1, 0)]
# Boot units the host step installs (the VMs' unit comes with the vms step).
UNITS=(<#list units as u>[=u]<#sep> </#list>)
<#if resctrl??>
RESCTRL_INFO=[=resctrl.info]
# The default group's lines: one per resource (L3, or L3CODE and L3DATA with CDP).
RESCTRL_DEFAULT=(<#list resctrl.defaultLines as l>[=l]<#sep> </#list>)
EXPECTED_CBM_MASK=[=resctrl.cbmMask]
# rtc's own groups (host.cacheOwner: resctrl), made at boot by rtc-resctrl.service; none when libvirt makes them.
RESCTRL_GROUPS=(<#list resctrl.groups as g>[=g.name]<#sep> </#list>)
declare -A VM_GROUP=(<#list resctrl.groups as g>[[=g.vm]]=[=g.name]<#sep> </#list>)
<#else>
# No cache allocation on this host: nothing of resctrl's to check or write.
RESCTRL_INFO=
EXPECTED_CBM_MASK=''
RESCTRL_DEFAULT=()
RESCTRL_GROUPS=()
declare -A VM_GROUP=()
</#if>
VMS=(<#list vms as vm>[=vm.name]<#sep> </#list>)
declare -A VM_ROLE=(<#list vms as vm>[[=vm.name]]=[=vm.role]<#sep> </#list>)
declare -A VM_VCPUS=(<#list vms as vm>[[=vm.name]]=[=vm.vcpus]<#sep> </#list>)
declare -A VM_PINS=(<#list vms as vm>[[=vm.name]]=[=vm.pins]<#sep> </#list>)
declare -A VM_EMULATOR=(<#list vms as vm>[[=vm.name]]=[=vm.emulator]<#sep> </#list>)
declare -A VM_BASE_IMAGE=(<#list vms as vm>[[=vm.name]]=[=vm.baseImage]<#sep> </#list>)
declare -A VM_BASE_SHA256=(<#list vms as vm>[[=vm.name]]=[=vm.baseSha256]<#sep> </#list>)
declare -A VM_DISK_SIZE=(<#list vms as vm>[[=vm.name]]=[=vm.diskSize]<#sep> </#list>)
declare -A VM_DISK_BYTES=(<#list vms as vm>[[=vm.name]]=[=vm.diskBytes]<#sep> </#list>)
declare -A VM_RESCTRL=(<#list vms as vm>[[=vm.name]]=[=vm.resctrlLine]<#sep> </#list>)
declare -A VM_GUEST_ARGS=(<#list vms as vm>[[=vm.name]]=[=vm.guestArgs]<#sep> </#list>)
declare -A VM_KERNEL_NAME=(<#list vms as vm>[[=vm.name]]=[=vm.kernelName]<#sep> </#list>)
declare -A VM_KERNEL_RT=(<#list vms as vm>[[=vm.name]]=[=vm.kernelRt]<#sep> </#list>)
declare -A VM_KERNEL_RELEASE=(<#list vms as vm>[[=vm.name]]=[=vm.kernelRelease]<#sep> </#list>)
declare -A VM_PRO=(<#list vms as vm>[[=vm.name]]=[=vm.pro]<#sep> </#list>)
declare -A VM_RHEL=(<#list vms as vm>[[=vm.name]]=[=vm.rhel]<#sep> </#list>)
declare -A VM_TUNED_PROFILE=(<#list vms as vm>[[=vm.name]]=[=vm.tunedProfile]<#sep> </#list>)
declare -A VM_STALLD=(<#list vms as vm>[[=vm.name]]=[=vm.stalld]<#sep> </#list>)
NETWORKS=(<#list networks as n>[=n.name]<#sep> </#list>)
declare -A NETWORK_FILE=(<#list networks as n>[[=n.name]]=[=n.file]<#sep> </#list>)
# The libvirt networks, bridges and host interfaces (macvtap) the VMs' NICs need, besides 'default'.
SITE_NETWORKS=(<#list libvirtNetworks as n><#if n != "default">[=n] </#if></#list>)
BRIDGES=(<#list bridges as b>[=b]<#sep> </#list>)
MACVTAP_IFACES=(<#list macvtapIfaces as i>[=i]<#sep> </#list>)
# Host devices the VMs are given: vm|whole or vf|address|vendor:device|host driver|node|IOMMU group|pf|vf|mac
# (a VF's ids, driver and node are its physical function's; empty where there is none, or it is not known yet).
DEVICES=(<#list devices as d>[=d]<#sep> </#list>)
# Physical functions whose virtual functions are given: address|vendor:device|driver|node; and the
# count rtc-sriov.service makes of each at boot: address|count.
PF_DEVICES=(<#list pfDevices as d>[=d]<#sep> </#list>)
SRIOV_PFS=(<#list sriovPfs as p>[=p]<#sep> </#list>)
HOUSEKEEPING=[=housekeeping]
# node_exporter's textfile folder as the distribution's package reads it (rtc-metrics.service's default).
TEXTFILE_DEFAULT=[=textfileDir]
ISOLATED=[=isolated]
# host.power: lowest-latency (every CPU held to C1 by the command line; qualify judges the isolated
# ones) or balanced (only POWER_HELD, the real-time VMs' CPUs, held per CPU by TuneD to idle states
# waking within POWER_HELD_US).
POWER=[=power.mode]
POWER_HELD=[=power.held]
POWER_HELD_US=[=power.heldUs]
# qualify: each noise measure's seconds, and the most noise (us) the platform may make on its own.
QUALIFY_SECONDS=[=qualify.seconds]
QUALIFY_NOISE_US=[=qualify.noiseLimitUs]
# A stressor must keep at least this much of its vCPUs busy, as the host measures it.
STRESS_LOAD_MIN=[=stressLoadMin]
<#if bench??>
BENCH_VM=[=bench.vm]
BENCH_DURATION=[=bench.duration]
BENCH_SECONDS=[=bench.seconds]
BENCH_ARGS=(<#list bench.args as a>[=a]<#sep> </#list>)
BENCH_THREADS=[=bench.threads]
BENCH_INTERVAL_US=[=bench.intervalUs]
BENCH_BUCKETS=[=bench.buckets]
VERDICT_GREAT_US=[=bench.greatUs]
VERDICT_GOOD_US=[=bench.goodUs]
<#else>
BENCH_VM=
BENCH_THREADS=
BENCH_INTERVAL_US=
</#if>
IMAGE_DIR=[=imageDir]
# ----------------------------------------------------------------------------------------------

# The steps: runbook-steps.sh beside this file, the same in every bundle of this rtc version. This
# file holds the plan; that one what is done with it.
RUNBOOK_STEPS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/runbook-steps.sh
[ -r "$RUNBOOK_STEPS" ] || { echo "runbook.sh: $RUNBOOK_STEPS is missing: copy the whole bundle folder, not runbook.sh alone" >&2; exit 2; }
# shellcheck source=runbook-steps.sh
. "$RUNBOOK_STEPS"
