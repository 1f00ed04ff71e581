package dev.rtc.plan;

import dev.rtc.manifest.Manifest.Vm;
import dev.rtc.manifest.Manifest;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Everything the solver decided, complete: emitters only format it. Lists are in the order they
 * are emitted (VMs in start order), so no emitter sorts or decides.
 */
public record Plan(Manifest manifest, HostPlan host, List<VmPlan> vms, Optional<CachePlan> cache, List<Decision> decisions) {

  public Plan {
    vms = List.copyOf(vms);
    decisions = List.copyOf(decisions);
  }

  public String name() {
    return manifest.name();
  }

  /** The host's OS, for which the artifacts are made. */
  public Manifest.Os os() {
    return manifest.host().os();
  }

  /** The host's topology as the plan was solved for it. */
  public dev.rtc.manifest.Topology topology() {
    return manifest.host().topology();
  }

  /** host.platform: the class of machine the manifest says, where rtc's guess from the topology would be wrong. */
  public Optional<dev.rtc.manifest.Manifest.Platform> platform() {
    return manifest.host().platform();
  }

  /** What the plant's network offers the guests and the host: proxy and mirrors. */
  public Manifest.Site site() {
    return manifest.site();
  }

  /** The SHA-256 of the manifest's bytes, which every artifact's provenance header names. */
  public String manifestSha256() {
    return manifest.sha256();
  }

  public Optional<VmPlan> benchmarkVm() {
    return manifest.benchmark().flatMap(b -> vms.stream().filter(v -> v.name().equals(b.vm())).findFirst());
  }

  /** With SMT, the sibling threads of a real-time VM's vCPUs, which stay idle; empty otherwise (and for E-cores, which have none). */
  public CpuSet idleSiblings(VmPlan vm) {
    var t = manifest.host().topology();
    return t.smt() && vm.isRealtime() && !vm.vm().siblingPairs()
        ? CpuSet.of(vm.vcpuPins().stream().filter(c -> t.sibling(c) != c).map(t::sibling).toList()) : CpuSet.empty();
  }

  /** How the benchmark runs and is judged, when the manifest asks for one. */
  /**
   * The resctrl group rtc makes for a real-time VM when it owns the groups (host.cacheOwner:
   * resctrl). VM names are DNS labels (the schema's pattern), so the name is safe as a directory,
   * in a unit and in a shell word.
   */
  public static String rtcGroup(String vm) {
    String name = "rtc-" + vm;
    if (!name.matches("[a-z0-9-]{1,80}")) {
      throw new IllegalStateException("VM name outside the schema's pattern: " + vm);
    }
    return name;
  }

  /** The host CPUs a VM's real-time vCPUs run on: the cpus_list of its group when rtc owns the groups. */
  public CpuSet rtHostCpus(VmPlan vm) {
    return CpuSet.of(vm.rtVcpus().stream().map(i -> vm.vcpuPins().get(i)).boxed().toList());
  }

  /**
   * Each physical function whose virtual functions VMs are given, in address order, with the
   * count to make at boot: the highest VF index used, plus one (VFs are numbered from 0, made together).
   */
  public java.util.SortedMap<dev.rtc.topology.PciAddress, Integer> virtualFunctions() {
    java.util.SortedMap<dev.rtc.topology.PciAddress, Integer> count = new java.util.TreeMap<>();
    vms.forEach(v -> v.devices().stream().filter(Passed::isVf).forEach(p -> count.merge(p.device().device().address(),
        p.device().vf().getAsInt() + 1, Math::max)));
    return count;
  }

  /** The names the VMs' NICs attach to by {@code kind} (libvirt networks, bridges, macvtap interfaces), sorted, each once. */
  public java.util.SortedSet<String> attachments(Manifest.NetKind kind) {
    java.util.SortedSet<String> names = new java.util.TreeSet<>();
    vms.forEach(v -> v.nics().stream().filter(n -> n.attachment().kind() == kind).forEach(n -> names.add(n.attachment().name())));
    return names;
  }

  public Optional<BenchmarkPlan> benchmark() {
    return manifest.benchmark().map(BenchmarkPlan::of);
  }

  /**
   * @param cmdline what rtc adds to the host's kernel command line
   * @param kernel the real-time kernel the host step installs and boots
   * @param tuning the host's TuneD profile
   * @param hugepages every hugepage the VMs need, however it is reserved (page size in bytes → node
   *     → pages): what check-host reads back from each node
   * @param hugepagesByUnit those of them that rtc-hugepages.service reserves per node early at boot,
   *     because the host's kernel takes no per-node counts on its command line; empty when the
   *     command line reserves them, or none are needed
   */
  public record HostPlan(CpuSet housekeeping, CpuSet isolated, KernelCmdline cmdline, KernelPlan kernel, TuningPlan tuning,
      SortedMap<Long, SortedMap<Integer, Long>> hugepages, SortedMap<Long, SortedMap<Integer, Long>> hugepagesByUnit, PowerPlan power) {
    public HostPlan {
      hugepages = new TreeMap<>(hugepages);
      hugepagesByUnit = new TreeMap<>(hugepagesByUnit);
    }
  }

  /**
   * @param startOrder 1-based; the runbook starts VMs in this order, and libvirt's cache placement
   *     was predicted in it
   * @param vcpuPins host CPU of vCPU i at index i
   * @param rtVcpus guest vCPUs that run real-time work (isolated inside the guest); empty for a stressor
   * @param guestCmdline what rtc adds to the guest's kernel command line; empty for a stressor
   * @param kernel the guest's real-time kernel; empty for a stressor, which keeps its image's
   * @param tuning the guest's TuneD profile; empty for a stressor
   */
  public record VmPlan(Vm vm, int startOrder, int numaNode, List<Integer> vcpuPins, CpuSet emulatorCpus,
      CpuSet rtVcpus, Optional<Resctrl> resctrl, Optional<KernelCmdline> guestCmdline, String uuid, String mac,
      List<Integer> l3Instances, Optional<KernelPlan> kernel, Optional<TuningPlan> tuning, List<Nic> nics, List<Passed> devices) {

    public VmPlan {
      vcpuPins = List.copyOf(vcpuPins);
      l3Instances = List.copyOf(l3Instances);
      nics = List.copyOf(nics);
      devices = List.copyOf(devices);
    }

    public String name() {
      return vm.name();
    }

    public boolean isRealtime() {
      return vm.isRealtime();
    }

    // What the emitters need of the manifest's VM, through the plan: they never read vm() itself
    // (ArchitectureTest), so what the plan decides about a VM is one place to change.

    public Manifest.Role role() {
      return vm.role();
    }

    public int vcpus() {
      return vm.vcpus();
    }

    public ByteSize memory() {
      return vm.memory();
    }

    /** The guest's hugepage size; empty: none asked for (a real-time VM gets its memory locked either way). */
    public Optional<ByteSize> hugepages() {
      return vm.hugepages();
    }

    public Manifest.Disk disk() {
      return vm.disk();
    }

    /** The guest inside: its OS, user, keys, packages. */
    public Manifest.Guest guest() {
      return vm.guest();
    }

    public Manifest.Os os() {
      return vm.guest().os();
    }

    public Optional<Manifest.Workload> workload() {
      return vm.workload();
    }

    /** vCPUs in sibling pairs: the guest sees cores of two threads. */
    public boolean siblingPairs() {
      return vm.siblingPairs();
    }

    /** The emulator threads share housekeeping CPUs (not CPUs of their own). */
    public boolean sharedEmulator() {
      return vm.emulator() instanceof Manifest.Emulator.Shared;
    }

    /** The guest's own housekeeping vCPUs (the rest are isolated inside it). */
    public CpuSet guestHousekeepingVcpus() {
      return vm.guestHousekeepingVcpus();
    }

    public CpuSet hostCpus() {
      return CpuSet.of(vcpuPins);
    }
  }

  /** A virtio NIC: where it attaches, and its name-based MAC (the first NIC's is the VM's own, as before networks could be given). */
  public record Nic(Manifest.NetworkAttachment attachment, String mac) {}

  /**
   * A host device given to a VM: whole ({@code <hostdev>}) or a virtual function
   * ({@code <interface type='hostdev'>}, with {@code mac}: the manifest's or a name-based one).
   */
  public record Passed(dev.rtc.manifest.rules.DeviceRules.Assigned device, Optional<String> mac) {

    public boolean isVf() {
      return device.isVf();
    }
  }

  /**
   * The resctrl group libvirt creates for a VM's real-time vCPUs: {@code <cachetune>} and
   * {@code <memorytune>} on the same vCPUs, which libvirt merges into one group (one CLOS).
   */
  public record Resctrl(CpuSet vcpus, List<CacheAlloc> caches, List<Bandwidth> bandwidth) {
    public Resctrl {
      caches = List.copyOf(caches);
      bandwidth = List.copyOf(bandwidth);
    }
  }

  /**
   * @param size what the domain XML asks for: {@code ways × way size}
   * @param mask the mask libvirt will choose, replayed from its placement rule
   */
  public record CacheAlloc(int cacheId, ByteSize requested, int ways, ByteSize size, WayMask mask) {}

  public record Bandwidth(int node, int percent) {}

  /**
   * The geometry of the cache level with CAT (L3, or L2 on parts with only L2 CAT) and the host's
   * default resctrl group.
   *
   * @param level 3 or 2
   * @param rtcOwned the real-time VMs' groups are made by rtc's boot unit (host.cacheOwner: resctrl), not by libvirt
   * @param cdp resctrl is mounted with CDP: each group has a CODE and a DATA mask (here always the same, as
   *     both are asked the same size and placed on identical free ways)
   *
   * @param closids this level's num_closids as the hardware has them (the runbook checks its info file)
   * @param clos the groups resctrl can make: the least over every resource it allocates
   * @param hostMasks the default group's mask per L3 instance id, ascending
   * @param vmMasks every way mask per instance after all VMs started, for the way map
   */
  public record CachePlan(int level, boolean rtcOwned, boolean cdp, ByteSize instanceSize, WayMask cbmMask, ByteSize wayBytes, int minCbmBits, int closids,
      ClosBudget clos, ByteSize hostRequested, int hostWays, SortedMap<Integer, WayMask> hostMasks,
      SortedMap<Integer, List<Owner>> owners) {

    public CachePlan {
      hostMasks = new TreeMap<>(hostMasks);
      owners = new TreeMap<>(owners);
    }

    public int ways() {
      return cbmMask.ways();
    }

    /** The CLOS a group can have: under CDP each takes a CODE and a DATA one, so half (what info/L3CODE/num_closids says). */
    public int usableClosids() {
      return cdp ? closids / 2 : closids;
    }

    /** The hex width libvirt and this plan use for masks. */
    public String hex(WayMask m) {
      return m.hex(cbmMask.width());
    }

    /** The resctrl resources of this level: {@code L3}, or {@code L3CODE} and {@code L3DATA} with CDP. */
    public List<String> resources() {
      return cdp ? List.of("L" + level + "CODE", "L" + level + "DATA") : List.of("L" + level);
    }

    /** The default group's lines for /sys/fs/resctrl/schemata: {@code L3:0=0003;1=0003} (two lines with CDP). */
    public String schemataLine() {
      return schemataLine(hostMasks);
    }

    /** The schemata lines of this level: {@code L<level>:<id>=<mask>;...}, ids ascending, one per resource, joined by newlines. */
    public String schemataLine(SortedMap<Integer, WayMask> masks) {
      return String.join("\n", schemataLines(masks));
    }

    public List<String> schemataLines(SortedMap<Integer, WayMask> masks) {
      return resources().stream().map(res -> {
        StringBuilder sb = new StringBuilder(res + ":");
        int head = sb.length();
        masks.forEach((id, mask) -> sb.append(sb.length() > head ? ";" : "").append(id).append('=').append(hex(mask)));
        return sb.toString();
      }).toList();
    }

    /** A VM group's line: its masks on the instances it has, the default group's on the rest (as libvirt copies them). */
    public String groupLine(Resctrl group) {
      return schemataLine(groupMasks(group));
    }

    public SortedMap<Integer, WayMask> groupMasks(Resctrl group) {
      SortedMap<Integer, WayMask> masks = new TreeMap<>(hostMasks);
      group.caches().forEach(a -> masks.put(a.cacheId(), a.mask()));
      return masks;
    }
  }

  /** Who holds which ways of one instance: "host", or a VM name. */
  public record Owner(String who, WayMask mask) {}

  /** One choice the solver made and why, for plan.md and {@code rtc explain}. */
  public record Decision(String subject, String what, String why) {}
}
