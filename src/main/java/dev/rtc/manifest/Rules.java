package dev.rtc.manifest;

import dev.rtc.manifest.Manifest.Benchmark;
import dev.rtc.manifest.Manifest.Cat;
import dev.rtc.manifest.Manifest.CacheInstance;
import dev.rtc.manifest.Manifest.NumaNode;
import dev.rtc.manifest.Manifest.Placement;
import dev.rtc.manifest.Manifest.Socket;
import dev.rtc.manifest.Manifest.Topology;
import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The rules a schema cannot say: how the sets in a manifest relate to each other. Every rule
 * reports into {@link Diagnostics} and carries on, so the user sees all of them at once. Rules that
 * need the solver's choices live in the planner.
 */
public final class Rules {

  private final Manifest m;
  private final Diagnostics d;

  private Rules(Manifest m, Diagnostics d) {
    this.m = m;
    this.d = d;
  }

  /**
   * Errors of parts the planner does not read: with only these, a manifest is still planned, so a
   * refusal shows beside them ("every error at once"), not after they are fixed.
   */
  public static final java.util.Set<Code> PLAN_SEES_PAST = java.util.EnumSet.of(Code.RTC016, Code.RTC022, Code.RTC023,
      Code.RTC036, Code.RTC037, Code.RTC048, Code.RTC050);

  public static void check(Manifest m, Diagnostics d) {
    Rules r = new Rules(m, d);
    r.topology(m.host().topology());
    r.housekeeping();
    r.vms();
    DeviceRules.check(m, d);
    r.cacheOwner(m.host().topology());
    r.kernels();
    r.site();
    SafetyRules.check(m, d);
    GuestRules.check(m, d);
    m.benchmark().ifPresent(r::benchmark);
  }

  private void topology(Topology t) {
    String at = "/host/topology";
    CpuSet all = t.allCpus();
    int before = d.errorCount();
    partition(t.sockets(), Socket::cpus, Socket::id, at + "/sockets", "socket", all);
    partition(t.numaNodes(), NumaNode::cpus, NumaNode::id, at + "/numaNodes", "NUMA node", all);
    // Whether nodes nest in sockets means something only once both are clean partitions.
    for (int i = 0; i < t.numaNodes().size() && d.errorCount() == before; i++) {
      NumaNode n = t.numaNodes().get(i);
      long sockets = t.sockets().stream().filter(s -> s.cpus().intersects(n.cpus())).count();
      if (sockets > 1) {
        d.error(Code.RTC030, at + "/numaNodes/" + i + "/cpus", "NUMA node " + n.id() + " (" + n.cpus().describe() + ") spans "
            + sockets + " sockets", "a NUMA node lies inside one socket; compare with lscpu's 'NUMA node" + n.id() + " CPU(s)'");
      }
    }
    if (t.smt() && d.errorCount() == before) {
      siblings(t, at);
    }
    coreTypes(t, at, all);
    t.l3().ifPresent(l3 -> cacheLevel(l3, at + "/l3", all.minus(t.cpusOfType(Manifest.CoreType.LPE))));
    t.l2().ifPresent(l2 -> cacheLevel(l2, at + "/l2", all));
    t.l2().ifPresent(l2 -> l2TypeSizes(t, l2, at + "/l2"));
  }

  /** A size for a core type the host has, and then each L2 instance of one core type, so its size is known. */
  private void l2TypeSizes(Topology t, Manifest.CacheLevel l2, String at) {
    if (l2.typeSizes().isEmpty()) {
      return;
    }
    l2.typeSizes().keySet().stream().sorted().filter(type -> t.cpusOfType(type).isEmpty()).forEach(type -> d.error(Code.RTC030,
        at + "/coreTypes/" + type.id(), "this host has no " + type.noun() + "s, so their L2 size cannot be given",
        t.hybrid() ? "remove coreTypes." + type.id() + ", or give the " + type.noun() + " CPUs in topology.coreTypes"
            : "remove coreTypes, or give the host's core types in topology.coreTypes"));
    for (int i = 0; i < l2.instances().size(); i++) {
      CacheInstance inst = l2.instances().get(i);
      List<Manifest.CoreType> types = inst.cpus().stream().mapToObj(t::coreType).distinct().sorted().toList();
      if (types.size() > 1) {
        d.error(Code.RTC030, at + "/instances/" + i + "/cpus", "L2 instance " + inst.id() + " (" + inst.cpus().describe() + ") holds "
            + String.join(" and ", types.stream().map(Manifest.CoreType::noun).map(n -> n + "s").toList())
            + ", so its size is not known (l2.coreTypes gives sizes by core type)", "an L2 is one core's or one cluster's: "
            + "compare with cache/index2/shared_cpu_list");
      }
    }
  }

  /**
   * The instances of a cache level split the CPUs that have one (low-power E-cores have no L3).
   */
  private void cacheLevel(Manifest.CacheLevel c, String at, CpuSet cpusWithOne) {
    String what = "L" + c.level() + " instance";
    if (c.instances().isEmpty()) {
      return; // Binder said why
    }
    partition(c.instances(), CacheInstance::cpus, CacheInstance::id, at + "/instances", what, cpusWithOne);
    if (c.size().bytes() == 0) {
      d.error(Code.RTC021, at + "/size", "an L" + c.level() + " of size 0", "write the size of one instance, e.g. "
          + (c.level() == 3 ? "60 MiB" : "2 MiB"));
    }
    c.cat().ifPresent(cat -> cat(cat, c.size().bytes(), at + "/cat"));
  }

  /** Core types name each CPU once, each type once; only P-cores have SMT siblings. */
  private void coreTypes(Topology t, String at, CpuSet all) {
    if (t.coreTypes().isEmpty()) {
      return;
    }
    CpuSet seen = CpuSet.empty();
    java.util.Set<Manifest.CoreType> types = java.util.EnumSet.noneOf(Manifest.CoreType.class);
    for (int i = 0; i < t.coreTypes().size(); i++) {
      Manifest.CoreGroup g = t.coreTypes().get(i);
      String p = at + "/coreTypes/" + i;
      if (!types.add(g.type())) {
        d.error(Code.RTC030, p + "/type", "core type " + g.type().id() + " is given twice", "list each type once, with all its CPUs");
      }
      CpuSet overlap = g.cpus().intersect(seen);
      if (!overlap.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", "CPUs " + overlap.describe() + " are given two core types", "each CPU has one core type");
      }
      seen = seen.union(g.cpus());
    }
    if (!seen.equals(all)) {
      CpuSet missing = all.minus(seen);
      d.error(Code.RTC030, at + "/coreTypes", (missing.isEmpty() ? "CPUs " + seen.minus(all).describe() + " are not CPUs of this host"
          : "CPUs " + missing.describe() + " have no core type"), "give every CPU of the sockets one core type");
    }
  }

  /** Every sibling pair is two CPUs of the host on one NUMA node and one core type, each the other's sibling. */
  private void siblings(Topology t, String at) {
    CpuSet all = t.allCpus();
    String p = at + "/siblings"; // in the table form the nearest key, topology, is shown
    for (int cpu : CpuSet.of(t.siblings().keySet().stream().sorted().toList())) {
      int sib = t.sibling(cpu);
      if (sib == cpu || !all.contains(sib) || t.sibling(sib) != cpu) {
        d.error(Code.RTC030, p, "CPU " + cpu + "'s sibling would be CPU " + sib + ", which " + (all.contains(sib)
            ? "is not its pair" : "this host does not have"), "check thread_siblings_list of CPU " + cpu);
        return;
      }
      boolean sameNode = t.numaNodes().stream().anyMatch(n -> n.cpus().contains(cpu) && n.cpus().contains(sib));
      if (!sameNode) {
        d.error(Code.RTC030, p, "CPU " + cpu + " and its sibling " + sib + " are on different NUMA nodes",
            "siblings share a core, so they share a node; check the siblings and the nodes' cpus");
        return;
      }
      if (t.coreType(cpu) != t.coreType(sib)) {
        d.error(Code.RTC030, p, "CPU " + cpu + " (" + t.coreType(cpu).noun() + ") and its sibling " + sib + " ("
            + t.coreType(sib).noun() + ") have different core types", "siblings share a core; check coreTypes against lscpu");
        return;
      }
    }
  }

  /** The parts must be disjoint, have distinct ids, and together hold every CPU of the host. */
  private <T> void partition(List<T> parts, Function<T, CpuSet> cpus, Function<T, Integer> id, String at, String what,
      CpuSet all) {
    Map<Integer, Integer> ids = new HashMap<>();
    CpuSet seen = CpuSet.empty();
    for (int i = 0; i < parts.size(); i++) {
      T part = parts.get(i);
      String p = at + "/" + i;
      Integer before = ids.put(id.apply(part), i);
      if (before != null) {
        d.error(Code.RTC030, p + "/id", what + " id " + id.apply(part) + " is given twice (also " + Pointers.display(at + "/" + before) + ")",
            "each " + what + " has its own id");
      }
      CpuSet c = cpus.apply(part);
      if (c.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", what + " " + id.apply(part) + " has no CPUs", "");
      }
      CpuSet overlap = c.intersect(seen);
      if (!overlap.isEmpty()) {
        d.error(Code.RTC030, p + "/cpus", "CPUs " + overlap.describe() + " of " + what + " " + id.apply(part) + " also belong to an earlier " + what,
            "each CPU belongs to exactly one " + what);
      }
      seen = seen.union(c);
    }
    if (!seen.isEmpty() && !seen.equals(all)) {
      CpuSet missing = all.minus(seen);
      CpuSet extra = seen.minus(all);
      if (!missing.isEmpty()) {
        d.error(Code.RTC030, at, "CPUs " + missing.describe() + " are in a socket but in no " + what, "every CPU belongs to one " + what);
      }
      if (!extra.isEmpty()) {
        d.error(Code.RTC030, at, "CPUs " + extra.describe() + " are in a " + what + " but in no socket", "list them under a socket too");
      }
    }
  }

  private void cat(Cat cat, long l3Bytes, String at) {
    if (!cat.cbmMask().isContiguous()) {
      d.error(Code.RTC031, at + "/cbmMask", "cbm mask " + cat.cbmMask().hex(cat.cbmMask().width())
          + " is not one run of ones", "copy /sys/fs/resctrl/info/L3/cbm_mask as it is");
      return;
    }
    if (cat.cbmMask().lowestWay() != 0) {
      d.error(Code.RTC031, at + "/cbmMask", "cbm mask " + cat.cbmMask().hex(cat.cbmMask().width())
          + " does not start at way 0", "copy /sys/fs/resctrl/info/L3/cbm_mask as it is");
    }
    if (cat.minCbmBits() > cat.cbmMask().ways()) {
      d.error(Code.RTC031, at + "/minCbmBits", "min_cbm_bits " + cat.minCbmBits() + " is more than the " + cat.cbmMask().ways()
          + " ways of the mask", "copy /sys/fs/resctrl/info/L3/min_cbm_bits");
    }
    if ((cat.shareableBits().bits() & ~cat.cbmMask().bits()) != 0) {
      d.error(Code.RTC031, at + "/shareableBits", "shareable bits " + cat.shareableBits() + " lie outside the cbm mask "
          + cat.cbmMask(), "copy /sys/fs/resctrl/info/L3/shareable_bits");
    }
    if (l3Bytes > 0 && l3Bytes / cat.cbmMask().ways() == 0) {
      d.error(Code.RTC031, at + "/cbmMask", "an L3 of " + l3Bytes + " bytes cannot have " + cat.cbmMask().ways() + " ways", "");
    }
  }

  private void housekeeping() {
    Topology t = m.host().topology();
    CpuSet all = t.allCpus();
    CpuSet hk = m.host().housekeeping();
    String at = "/host/housekeeping";
    if (hk.isEmpty()) {
      d.error(Code.RTC032, at, "no housekeeping CPUs", "keep at least CPU 0 for the host, e.g. housekeeping: \"0-3\"");
      return;
    }
    if (!all.containsAll(hk)) {
      d.error(Code.RTC032, at, "CPUs " + hk.minus(all).describe() + " are not CPUs of this host (" + all.describe() + ")", "housekeeping CPUs are host CPUs");
    }
    if (all.contains(0) && !hk.contains(0)) {
      d.error(Code.RTC032, at, "CPU 0 would be isolated; the kernel keeps work on CPU 0 that isolation cannot move",
          "add CPU 0 to housekeeping (the guide: 'Do not isolate CPU 0')");
    }
    if (all.minus(hk).isEmpty()) {
      d.error(Code.RTC033, at, "every CPU is a housekeeping CPU, so nothing is isolated for the VMs",
          "keep a few CPUs for the host, e.g. housekeeping: \"0-3\"");
    }
    if (t.smt() && all.containsAll(hk) && d.errorCount() == 0) { // with bad siblings it would only cascade
      CpuSet split = CpuSet.of(hk.stream().filter(c -> !hk.contains(t.sibling(c))).map(t::sibling).boxed().toList());
      if (!split.isEmpty()) {
        d.warning(Code.RTC032, at, "isolated CPUs " + split.describe() + " share a core with housekeeping CPUs, so the host's work "
            + "runs beside whatever gets them", "keep siblings together: add " + split.describe() + " to housekeeping");
      }
    }
    for (Socket s : t.sockets()) {
      if (!s.cpus().isEmpty() && !s.cpus().intersects(hk)) {
        d.warning(Code.RTC032, at, "socket " + s.id() + " (" + s.cpus().describe() + ") has no housekeeping CPU; its interrupts and "
            + "kernel threads must cross the socket", "keep one CPU of each socket for housekeeping (the guide's advice)");
      }
    }
  }

  private void vms() {
    Topology t = m.host().topology();
    Map<String, String> names = new HashMap<>();
    for (int i = 0; i < m.vms().size(); i++) {
      Vm vm = m.vms().get(i);
      String at = vm.pointer();
      String before = names.put(vm.name(), at);
      if (before != null) {
        d.error(Code.RTC040, at + "/name", "VM name '" + vm.name() + "' is already used by " + Pointers.display(before),
            "VM names name libvirt domains, folders and hosts: make each one unique");
      }
      if (vm.placement() instanceof Placement.OnNode on && t.numaNodes().stream().noneMatch(n -> n.id() == on.node())) {
        d.error(Code.RTC041, at + "/placement/numaNode", "there is no NUMA node " + on.node(), "nodes of this host: "
            + t.numaNodes().stream().map(n -> String.valueOf(n.id())).toList());
      }
      if (vm.placement() instanceof Placement.Pinned pin && pin.cpus().size() != vm.vcpus() && !pin.cpus().isEmpty()) {
        d.error(Code.RTC041, at + "/placement/pin", Words.count(pin.cpus().size(), "CPU") + " (" + pin.cpus().describe() + ") for " + Words.count(vm.vcpus(), "vCPU"),
            "give exactly one host CPU per vCPU");
      }
      if (vm.isRealtime() && vm.vcpus() < 2) {
        d.error(Code.RTC042, at + "/vcpus", "a real-time VM with 1 vCPU has no vCPU for its own housekeeping, so its kernel "
            + "work would preempt the real-time task", "give it at least 2 vCPUs: vCPU 0 for housekeeping, the rest real-time");
      }
      if (!vm.isRealtime()) {
        vm.cache().ifPresent(c -> d.error(Code.RTC044, at + "/cache", "a stressor VM gets no cache of its own; it shares the "
            + "host's ways, which is the interference the benchmark measures", "remove cache from this VM"));
        if (vm.memoryBandwidth().isPresent()) {
          d.error(Code.RTC044, at + "/memoryBandwidth", "memoryBandwidth is for real-time VMs", "remove it from this stressor");
        }
      } else if (vm.workload().isPresent()) {
        d.error(Code.RTC044, at + "/workload", "a real-time VM runs the benchmark, not a stress workload",
            "move workload to a stressor VM");
      }
      if (vm.isRealtime() && vm.interferenceAccepted()) {
        d.error(Code.RTC044, at + "/interference", "interference: accepted is said of a stressor, about what it shares with the "
            + "real-time VMs", "remove it from this real-time VM");
      }
      if (vm.emulator() instanceof Manifest.Emulator.Shared && m.host().emulatorPool() == 0) {
        d.error(Code.RTC044, at + "/emulator", "emulator: shared uses the node's shared pool, and host.emulatorPool is not set",
            "set host.emulatorPool to the isolated CPUs per node the pool gets, e.g. emulatorPool: 2");
      }
      if (vm.siblingPairs()) {
        if (!vm.isRealtime()) {
          d.error(Code.RTC044, at + "/siblings", "siblings: pair is for real-time VMs; a stressor's vCPUs take threads as they come",
              "remove siblings from this VM");
        } else if (!t.smt()) {
          d.error(Code.RTC041, at + "/siblings", "siblings: pair needs SMT, and this host has one thread per core",
              "remove siblings, or describe the host's SMT siblings in the topology");
        } else if (vm.vcpus() % 2 != 0) {
          d.error(Code.RTC041, at + "/vcpus", Words.count(vm.vcpus(), "vCPU") + " cannot be paired on cores of 2 threads",
              "use " + (vm.vcpus() + 1) + " or " + (vm.vcpus() - 1) + " vCPUs");
        } else if (vm.vcpus() < 4) {
          d.error(Code.RTC042, at + "/vcpus", "with siblings: pair, vCPUs 0 and 1 (one core) keep the guest's housekeeping, so "
              + Words.count(vm.vcpus(), "vCPU") + (vm.vcpus() == 1 ? " leaves" : " leave") + " none for real-time work", "give it at least 4 vCPUs");
        }
      }
      vmResources(vm, t);
    }
  }

  /**
   * Each kernel choice must be able to give a real-time kernel on its OS; a stock kernel is allowed
   * but said, because nothing built on it is real-time.
   */
  private void kernels() {
    kernel(m.host().kernel(), m.host().os(), "the host");
    for (Vm vm : m.vms()) {
      Manifest.KernelChoice k = vm.guest().kernel();
      if (!vm.isRealtime()) {
        if (k.given()) {
          d.error(Code.RTC044, k.pointer(), "a stressor keeps its image's kernel; only real-time VMs get a real-time kernel",
              "remove guest.kernel from " + vm.name());
        }
        if (vm.workload().orElse(Manifest.Workload.KERNEL_BUILD) == Manifest.Workload.KERNEL_BUILD && vm.guest().os() == Manifest.Os.RHEL9) {
          d.error(Code.RTC048, vm.pointer() + (vm.workload().isPresent() ? "/workload" : ""), "the kernel-build load compiles the "
              + "kernel source from the distribution's linux-source package, and RHEL has none", "use workload: stress-ng for "
              + vm.name());
        }
        continue;
      }
      kernel(k, vm.guest().os(), "real-time VM " + vm.name());
    }
  }

  private void kernel(Manifest.KernelChoice k, Manifest.Os os, String who) {
    String at = k.pointer();
    if (k.realtime() == Manifest.Realtime.ECI && os == Manifest.Os.RHEL9) {
      d.error(Code.RTC046, at + "/realtime", "Intel ECI publishes its real-time kernel for Debian and Ubuntu (an APT "
          + "repository); there is none for " + os.id() + ", so " + who + " would get no real-time kernel",
          "use realtime: distro (kernel-rt from RHEL's real-time repository), or realtime: package");
    }
    if (k.realtime() == Manifest.Realtime.PACKAGE && k.pkg().isEmpty()) {
      d.error(Code.RTC046, at + "/realtime", "realtime: package names no package, so " + who + " would get no real-time kernel",
          "add package: with the kernel package's name, e.g. package: linux-image-6.6.0-rt-amd64");
    }
    if (k.pkg().isPresent() && k.realtime() != Manifest.Realtime.PACKAGE) {
      d.error(Code.RTC046, at + "/package", "package is read only with realtime: package, and this says realtime: "
          + k.realtime().id(), "remove package, or write realtime: package");
    }
    if (k.realtime() == Manifest.Realtime.NONE) {
      d.warning(Code.RTC047, at + "/realtime", who + " keeps its stock kernel, which is not PREEMPT_RT: it is isolated and "
          + "pinned, not real-time, and the benchmark will report its numbers without a verdict",
          "use realtime: distro" + (os == Manifest.Os.RHEL9 ? "" : " or eci") + " for a real-time kernel");
    }
  }

  /** Mirrors for archives no guest or host uses are most likely a mistake in the key. */
  private void site() {
    Manifest.Site s = m.site();
    java.util.Set<Manifest.Os> guests = java.util.EnumSet.noneOf(Manifest.Os.class);
    m.vms().forEach(v -> guests.add(v.guest().os()));
    boolean debian = guests.contains(Manifest.Os.DEBIAN11) || guests.contains(Manifest.Os.DEBIAN12);
    boolean ubuntu = guests.contains(Manifest.Os.UBUNTU2204) || guests.contains(Manifest.Os.UBUNTU2404);
    boolean eci = m.host().kernel().realtime() == Manifest.Realtime.ECI
        || m.vms().stream().anyMatch(v -> v.isRealtime() && v.guest().kernel().realtime() == Manifest.Realtime.ECI);
    unused(s.debian(), "debian", debian, "no guest runs Debian");
    unused(s.debianSecurity(), "debianSecurity", debian, "no guest runs Debian");
    unused(s.ubuntu(), "ubuntu", ubuntu, "no guest runs Ubuntu");
    unused(s.eci(), "eci", eci, "neither the host nor a real-time VM uses realtime: eci");
    unused(s.rhel(), "rhel", guests.contains(Manifest.Os.RHEL9), "no guest runs RHEL");
  }

  private void unused(java.util.Optional<String> mirror, String key, boolean used, String why) {
    if (mirror.isPresent() && !used) {
      d.warning(Code.RTC048, "/site/mirrors/" + key, "this mirror is never used: " + why, "remove it, or check the OS of the VMs");
    }
  }

  /**
   * L2 CAT goes through rtc's own groups: libvirt initialises cache geometry only from level 3 up,
   * so an L2 {@code <cachetune>} divides by a granularity of 0 when the VM starts.
   */
  private void cacheOwner(Topology t) {
    boolean anyCache = m.vms().stream().anyMatch(v -> v.cache().isPresent()) || m.host().cache().isPresent();
    Manifest.CacheLevel level = t.catLevel().orElse(null);
    if (!anyCache || level == null || level.level() != 2) {
      return;
    }
    if (m.host().cacheOwner() != Manifest.CacheOwner.RESCTRL) {
      d.error(Code.RTC043, "/host/cache", "this host has L2 CAT only, and libvirt cannot allocate L2 (it sets up cache "
          + "geometry from L3 up, so an L2 <cachetune> fails when the VM starts)", "set host.cacheOwner: resctrl, so rtc's boot "
          + "unit creates the real-time VMs' groups itself");
    }
    if (t.hybrid()) {
      d.error(Code.RTC043, "/host/topology/l2/cat", "L2 CAT on a hybrid part: P-core and E-core L2s differ in size and ways, and the "
          + "kernel keeps one info/L2 (one cbm_mask) for both, so no mask means the same on both", "leave out l2.cat and use L3 CAT, "
          + "or plan L2 CAT by hand");
    }
  }

  private void vmResources(Vm vm, Topology t) {
    String at = vm.pointer();
    vm.hugepages().ifPresent(page -> {
      if (vm.memory().bytes() % page.bytes() != 0) {
        long up = (vm.memory().bytes() / page.bytes() + 1) * page.bytes();
        d.error(Code.RTC045, at + "/memory", vm.memory().exact() + " is not a whole number of " + page.exact() + " hugepages",
            "use " + new ByteSize(up).exact() + " or " + new ByteSize(up - page.bytes()).exact());
      }
    });
    if (vm.cache().isPresent()) {
      if (t.catLevel().isEmpty()) {
        d.error(Code.RTC043, at + "/cache", "this host has no Cache Allocation Technology (neither topology.l3.cat nor topology.l2.cat is given)",
            "remove cache, or add topology.l3.cat from /sys/fs/resctrl/info/L3 (l2.cat from info/L2 on parts with only L2 CAT)");
      } else if (m.host().cache().isEmpty()) { // without CAT, the error above is the whole story
        d.error(Code.RTC043, at + "/cache", "host.cache is not set; the host's default group owns every way until rtc "
            + "shrinks it, so libvirt would find no free way for this VM", "set host.cache, e.g. cache: 8 MiB");
      }
    }
    vm.memoryBandwidth().ifPresent(bw -> {
      if (t.mba().isEmpty()) {
        d.error(Code.RTC043, at + "/memoryBandwidth", "this host has no Memory Bandwidth Allocation (topology.mba is not given)",
            "remove memoryBandwidth, or add topology.mba from /sys/fs/resctrl/info/MB");
      } else {
        Manifest.Mba mba = t.mba().get();
        if (bw % mba.granularity() != 0 || bw < mba.min()) {
          int up = Math.max(mba.min(), (bw + mba.granularity() - 1) / mba.granularity() * mba.granularity());
          d.error(Code.RTC043, at + "/memoryBandwidth", bw + "% is not a multiple of the bandwidth granularity "
              + mba.granularity() + "% at least " + mba.min() + "%; libvirt refuses it at start",
              "use " + Math.min(100, up) + "");
        }
      }
    });
  }

  private void benchmark(Benchmark b) {
    String at = b.pointer();
    var vm = m.vm(b.vm());
    if (vm.isEmpty()) {
      d.error(Code.RTC050, at + "/vm", "no VM named '" + b.vm() + "'", "name one of: "
          + String.join(", ", m.vms().stream().map(Vm::name).toList()));
      return;
    }
    if (!vm.get().isRealtime()) {
      d.error(Code.RTC050, at + "/vm", "'" + b.vm() + "' is a stressor; cyclictest measures a real-time VM", "name the real-time VM");
      return;
    }
    int n = vm.get().vcpus();
    if (n < 2) {
      return; // RTC042 already refuses the VM; every vCPU check here would only repeat it
    }
    CpuSet rt = vm.get().realtimeVcpus();
    var ct = b.cyclictest();
    if (!rt.containsAll(ct.affinity()) || ct.affinity().isEmpty()) {
      d.error(Code.RTC050, at + "/cyclictest/affinity", "guest CPUs " + ct.affinity() + " are not all real-time vCPUs of "
          + b.vm() + " (" + rt + ")", "measure on the isolated vCPUs " + rt + "; " + (vm.get().siblingPairs() ? "vCPUs 0 and 1 are" : "vCPU 0 is")
              + " the guest's housekeeping CPU" + (vm.get().siblingPairs() ? "s" : ""));
    }
    if (ct.threads() != ct.affinity().size() && !ct.affinity().isEmpty()) {
      d.error(Code.RTC050, at + "/cyclictest/threads", ct.threads() + " threads on " + ct.affinity().size() + " CPUs ("
          + ct.affinity() + ")", "use one thread per CPU: threads: " + ct.affinity().size());
    }
    ct.mainAffinity().ifPresent(cpu -> {
      if (cpu >= n) {
        d.error(Code.RTC050, at + "/cyclictest/mainAffinity", "vCPU " + cpu + " does not exist; " + b.vm() + " has vCPUs 0-" + (n - 1), "");
      } else if (ct.affinity().contains(cpu)) {
        d.error(Code.RTC050, at + "/cyclictest/mainAffinity", "the main thread on vCPU " + cpu + " would disturb a measuring thread",
            "put it on a vCPU outside affinity " + ct.affinity());
      }
    });
    if (b.greatUs() >= b.goodUs()) {
      d.error(Code.RTC050, at + "/verdictUs", "great (" + b.greatUs() + " µs) must be below good (" + b.goodUs() + " µs)", "");
    }
  }
}
