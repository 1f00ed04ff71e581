#!/usr/bin/env python3
"""Writes the synthetic facts files rtc probe is tested on, in the format the runbook's facts step
records (grep -rH . <sysfs files>). The ids follow the kernel's rules: cache id = APIC id >> order
of the threads sharing the cache (arch/x86/kernel/cpu/cacheinfo.c), core_id and package from the
APIC id, sizes as sysfs prints them (KiB with a K). kvm-epyc-2vcpu.facts is a real recording instead (a 2-vCPU KVM guest on AMD EPYC, 2026-11-25).

Usage: python3 src/test/resources/probe/generate.py   (rewrites, beside this script, xeon-2s-smt.facts, core-ultra-hybrid.facts, atom-l2cat.facts,
raptor-lake-no-cpu-atom.facts, xeon-devices.facts, xeon-2s-interleaved.facts,
and xeon-2s-smt.lscpu.json: the same Xeon as util-linux 2.38's lscpu -J prints it, logical numbers and all)
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

def order(n):
    o = 0
    while (1 << o) < n:
        o += 1
    return o

def cpulist(cpus):
    cpus = sorted(cpus)
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else "%d-%d" % (cpus[i], cpus[j]))
        i = j + 1
    return ",".join(out)

def write(name, cpus, nodes, memory_kb, caches, resctrl, extra=(), siblings=None):
    """cpus: list of dicts cpu, apic, core, socket, node; caches: per cpu list of (index, level, type, id, size, shared)."""
    lines = ["/sys/devices/system/cpu/online:" + cpulist([c["cpu"] for c in cpus])]
    for c in cpus:
        base = "/sys/devices/system/cpu/cpu%d" % c["cpu"]
        lines.append(base + "/topology/core_id:%d" % c["core"])
        lines.append(base + "/topology/physical_package_id:%d" % c["socket"])
        if siblings:
            lines.append(base + "/topology/thread_siblings_list:" + cpulist(siblings(c, cpus)))
        for (idx, level, typ, cid, size, shared) in caches(c, cpus):
            p = base + "/cache/index%d/" % idx
            lines += [p + "level:%d" % level, p + "type:" + typ, p + "id:%d" % cid, p + "size:" + size, p + "shared_cpu_list:" + cpulist(shared)]
    for n, ncpus in sorted(nodes.items()):
        lines.append("/sys/devices/system/node/node%d/cpulist:%s" % (n, cpulist(ncpus)))
        lines.append("/sys/devices/system/node/node%d/meminfo:Node %d MemTotal:       %d kB" % (n, n, memory_kb))
        lines.append("/sys/devices/system/node/node%d/meminfo:Node %d MemFree:        %d kB" % (n, n, memory_kb // 2))
    lines += list(extra)
    for res, files in resctrl.items():
        for f, v in files.items():
            lines.append("/sys/fs/resctrl/info/%s/%s:%s" % (res, f, v))
    with open(os.path.join(HERE, name), "w") as out:
        out.write("\n".join(lines) + "\n")

def write_lscpu_json(name, cpus, caches, flags):
    """The three documents of { lscpu -J -e=CPU,CORE,SOCKET,NODE,CACHE,ONLINE; lscpu -J -C --bytes; lscpu -J; }.
    lscpu numbers cores and caches itself, 0, 1, ... in order of first appearance by CPU."""
    def logical(key):
        seen = {}
        return lambda c: seen.setdefault(key(c), len(seen))
    core = logical(lambda c: (c["socket"], c["core"]))
    levels = {}
    rows = []
    for c in sorted(cpus, key=lambda c: c["cpu"]):
        ids = []
        for (idx, level, typ, cid, size, shared) in caches(c, cpus):
            instances = levels.setdefault(idx, (level, typ, size, {}))[3]
            ids.append(str(instances.setdefault(tuple(shared), len(instances))))
        rows.append({"cpu": c["cpu"], "core": core(c), "socket": c["socket"], "node": c["node"],
                     "l1d:l1i:l2:l3": ":".join(ids), "online": True})
    names = {(1, "Data"): "L1d", (1, "Instruction"): "L1i", (2, "Unified"): "L2", (3, "Unified"): "L3"}
    cache_list = []
    for idx, (level, typ, size, instances) in sorted(levels.items()):
        one = int(size.rstrip("K")) * 1024
        cache_list.append({"name": names[(level, typ)], "one-size": str(one), "all-size": str(one * len(instances)), "ways": 11 if level == 3 else 16,
                           "type": typ, "level": level, "sets": 0, "phy-line": 1, "coherency-size": 64})
    sockets = sorted({c["socket"] for c in cpus})
    summary = [{"field": "CPU(s):", "data": str(len(cpus))},
               {"field": "On-line CPU(s) list:", "data": cpulist([c["cpu"] for c in cpus])},
               {"field": "Socket(s):", "data": str(len(sockets))},
               {"field": "Flags:", "data": " ".join(["fpu", "vme", "de"] + flags)},
               {"field": "NUMA node(s):", "data": str(len({c["node"] for c in cpus}))}]
    for n in sorted({c["node"] for c in cpus}):
        summary.append({"field": "NUMA node%d CPU(s):" % n, "data": cpulist([c["cpu"] for c in cpus if c["node"] == n])})
    with open(os.path.join(HERE, name), "w") as out:
        for doc in ({"cpus": rows}, {"caches": cache_list}, {"lscpu": summary}):
            out.write(json.dumps(doc, indent=3) + "\n")

def sharing(cpus, c, key):
    return [o["cpu"] for o in cpus if key(o) == key(c)]

# 2-socket Xeon, 16 cores per socket, SMT, thread n and n+32 share a core; Skylake-SP core ids with gaps.
core_ids = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17, 18, 19]
xeon = []
for t in range(2):
    for s in range(2):
        for i, core in enumerate(core_ids):
            cpu = t * 32 + s * 16 + i
            xeon.append(dict(cpu=cpu, apic=s * 64 + core * 2 + t, core=core, socket=s, node=s))
xeon.sort(key=lambda c: c["cpu"])
def xeon_caches(c, cpus):
    l2 = c["apic"] >> order(2)
    l3 = c["apic"] >> order(64)
    return [(0, 1, "Data", l2, "32K", sharing(cpus, c, lambda o: o["apic"] >> 1)),
            (1, 1, "Instruction", l2, "32K", sharing(cpus, c, lambda o: o["apic"] >> 1)),
            (2, 2, "Unified", l2, "1024K", sharing(cpus, c, lambda o: o["apic"] >> 1)),
            (3, 3, "Unified", l3, "33792K", sharing(cpus, c, lambda o: o["socket"]))]
write("xeon-2s-smt.facts", xeon, {s: [c["cpu"] for c in xeon if c["socket"] == s] for s in range(2)}, 97415168, xeon_caches,
      {"L3": {"cbm_mask": "7ff", "min_cbm_bits": "1", "num_closids": "16", "shareable_bits": "0", "bit_usage": "0=SSSSSSSSSSS;1=SSSSSSSSSSS"},
       "MB": {"bandwidth_gran": "10", "min_bandwidth": "10", "num_closids": "8", "delay_linear": "1"}},
      siblings=lambda c, cpus: sharing(cpus, c, lambda o: (o["socket"], o["core"])))
write_lscpu_json("xeon-2s-smt.lscpu.json", xeon, xeon_caches, ["cat_l3", "cdp_l3", "mba"])

# A hybrid client part (Meteor Lake-like): 6 P-cores with SMT (threads adjacent), 8 E-cores in two
# clusters of 4 sharing an L2, 2 low-power E-cores in their own cluster with no L3.
hy = []
cpu = 0
for core in range(6):
    for t in range(2):
        hy.append(dict(cpu=cpu, apic=core * 2 + t, core=core * 4, socket=0, node=0, kind="P")); cpu += 1
for e in range(8):
    hy.append(dict(cpu=cpu, apic=64 + e * 2, core=32 + e, socket=0, node=0, kind="E")); cpu += 1
for e in range(2):
    hy.append(dict(cpu=cpu, apic=128 + e * 2, core=64 + e, socket=0, node=0, kind="LPE")); cpu += 1
def hy_caches(c, cpus):
    if c["kind"] == "P":
        l2, l2share, l2size = c["apic"] >> 1, lambda o: (o["kind"], o["apic"] >> 1), "2048K"
    else:
        l2, l2share, l2size = c["apic"] >> 3, lambda o: (o["kind"], o["apic"] >> 3), "2048K"
    out = [(0, 1, "Data", c["apic"] >> 1, "48K", [c["cpu"]]), (1, 1, "Instruction", c["apic"] >> 1, "64K", [c["cpu"]]),
           (2, 2, "Unified", l2, l2size, sharing(cpus, c, l2share))]
    if c["kind"] != "LPE":
        out.append((3, 3, "Unified", 0, "24576K", [o["cpu"] for o in cpus if o["kind"] != "LPE"]))
    return out
write("core-ultra-hybrid.facts", hy, {0: [c["cpu"] for c in hy]}, 32545920, hy_caches,
      {"L3": {"cbm_mask": "fff", "min_cbm_bits": "1", "num_closids": "4", "shareable_bits": "0"}},
      extra=["/sys/devices/cpu_core/cpus:0-11", "/sys/devices/cpu_atom/cpus:12-21"],
      siblings=lambda c, cpus: sharing(cpus, c, lambda o: (o["socket"], o["core"])))

# An Atom with L2 CAT and no L3 (Snow Ridge-like): 8 cores, no SMT, 2 modules of 4 cores sharing a 4.5 MiB L2.
atom = [dict(cpu=i, apic=i * 2, core=i, socket=0, node=0) for i in range(8)]
def atom_caches(c, cpus):
    return [(0, 1, "Data", c["apic"], "32K", [c["cpu"]]), (1, 1, "Instruction", c["apic"], "32K", [c["cpu"]]),
            (2, 2, "Unified", c["apic"] >> 3, "4608K", sharing(cpus, c, lambda o: o["apic"] >> 3))]
write("atom-l2cat.facts", atom, {0: list(range(8))}, 16303740, atom_caches,
      {"L2": {"cbm_mask": "3ffff", "min_cbm_bits": "1", "num_closids": "8", "shareable_bits": "0"}})

# A Raptor Lake (Core i7-13700-like) on a kernel that does not show /sys/devices/cpu_core and
# cpu_atom: 8 P-cores with SMT (threads 2k, 2k+1), each with a 2 MiB L2 of its own, and 8 E-cores in
# two clusters of 4 sharing a 4 MiB L2; one 30 MiB L3. rtc probe must infer the core types from the
# L2 sharing and give each type its L2 size.
rpl = []
for core in range(8):
    for t in range(2):
        rpl.append(dict(cpu=core * 2 + t, apic=core * 2 + t, core=core * 2, socket=0, node=0, kind="P"))
for e in range(8):
    rpl.append(dict(cpu=16 + e, apic=64 + e * 2, core=32 + e, socket=0, node=0, kind="E"))
def rpl_caches(c, cpus):
    if c["kind"] == "P":
        l2, l2share, l2size = c["apic"] >> 1, lambda o: (o["kind"], o["apic"] >> 1), "2048K"
    else:
        l2, l2share, l2size = c["apic"] >> 3, lambda o: (o["kind"], o["apic"] >> 3), "4096K"
    return [(0, 1, "Data", c["apic"] >> 1, "48K", [c["cpu"]]), (1, 1, "Instruction", c["apic"] >> 1, "32K", [c["cpu"]]),
            (2, 2, "Unified", l2, l2size, sharing(cpus, c, l2share)),
            (3, 3, "Unified", 0, "30720K", [o["cpu"] for o in cpus])]
write("raptor-lake-no-cpu-atom.facts", rpl, {0: [c["cpu"] for c in rpl]}, 32545920, rpl_caches,
      {"L3": {"cbm_mask": "fff", "min_cbm_bits": "1", "num_closids": "4", "shareable_bits": "0"}},
      siblings=lambda c, cpus: sharing(cpus, c, lambda o: (o["socket"], o["core"])))

# The host of examples/xeon-devices.yaml: 2 sockets of 24 cores without SMT, a 36 MiB L3 each, and
# its PCI devices as the runbook's facts step records them (links as the last part of their
# target): an I226-LM on node 0 (IOMMU group 30), a 4-port I350 on node 1 with SR-IOV (groups
# 112-115; port 0 has one VF made, which probe leaves out), a PCI bridge and an NVMe disk (neither
# is a network device).
xd = [dict(cpu=i, apic=(i // 24) * 64 + (i % 24) * 2, core=i % 24, socket=i // 24, node=i // 24) for i in range(48)]
def xd_caches(c, cpus):
    return [(0, 1, "Data", c["apic"] >> 1, "48K", [c["cpu"]]), (1, 1, "Instruction", c["apic"] >> 1, "32K", [c["cpu"]]),
            (2, 2, "Unified", c["apic"] >> 1, "2048K", [c["cpu"]]),
            (3, 3, "Unified", c["socket"], "36864K", [o["cpu"] for o in cpus if o["socket"] == c["socket"]])]
def pci(addr, vendor, device, cls, node, driver=None, group=None, net=None, sriov=None, physfn=None):
    d = "/sys/bus/pci/devices/" + addr
    out = [d + "/vendor:0x" + vendor, d + "/device:0x" + device, d + "/class:" + cls, d + "/numa_node:%d" % node]
    if sriov:
        out += [d + "/sriov_totalvfs:%d" % sriov[0], d + "/sriov_offset:%d" % sriov[1], d + "/sriov_stride:%d" % sriov[2]]
    if net:
        out.append(d + "/net/" + net + "/ifindex:%d" % (3 + len(net)))
    if driver:
        out.append(d + "/driver:" + driver)
    if group is not None:
        out.append(d + "/iommu_group:%d" % group)
    if physfn:
        out.append(d + "/physfn:" + physfn)
    return out
devices = pci("0000:00:1c.0", "8086", "a33c", "0x060400", 0, "pcieport", 8)
devices += pci("0000:17:00.0", "8086", "125b", "0x020000", 0, "igc", 30, "enp23s0")
devices += pci("0000:5e:00.0", "144d", "a80a", "0x010802", 0, "nvme", 40)
for port in range(4):
    devices += pci("0000:af:00.%d" % port, "8086", "1521", "0x020000", 1, "igb", 112 + port, "ens5f%d" % port, (7, 128 - port, 4))
devices += pci("0000:af:10.0", "8086", "1520", "0x020000", 1, "igbvf", 130, "ens5f0v0", physfn="0000:af:00.0")
write("xeon-devices.facts", xd, {s: [c["cpu"] for c in xd if c["socket"] == s] for s in range(2)}, 67108864, xd_caches,
      {"L3": {"cbm_mask": "fff", "min_cbm_bits": "1", "num_closids": "16", "shareable_bits": "0"}}, extra=devices)

# The guide's reference host (2 x Xeon Gold 6548Y+): 64 CPUs without SMT numbered across the
# sockets, as many 2-socket BIOSes do: CPU 2k on socket 0, 2k+1 on socket 1, so node 0 is 0-62:2.
# 60 MiB of L3 per socket, 15 ways (cbm_mask 7fff), 16 CLOSIDs, and MBA.
il = [dict(cpu=i, apic=(i % 2) * 128 + (i // 2) * 2, core=i // 2, socket=i % 2, node=i % 2) for i in range(64)]
def il_caches(c, cpus):
    return [(0, 1, "Data", c["apic"] >> 1, "48K", [c["cpu"]]), (1, 1, "Instruction", c["apic"] >> 1, "32K", [c["cpu"]]),
            (2, 2, "Unified", c["apic"] >> 1, "2048K", [c["cpu"]]),
            (3, 3, "Unified", c["socket"], "61440K", [o["cpu"] for o in cpus if o["socket"] == c["socket"]])]
write("xeon-2s-interleaved.facts", il, {s: [c["cpu"] for c in il if c["socket"] == s] for s in range(2)}, 263921664, il_caches,
      {"L3": {"cbm_mask": "7fff", "min_cbm_bits": "1", "num_closids": "16", "shareable_bits": "0"},
       "MB": {"bandwidth_gran": "10", "min_bandwidth": "10", "num_closids": "8", "delay_linear": "1"}},
      siblings=lambda c, cpus: [c["cpu"]])
