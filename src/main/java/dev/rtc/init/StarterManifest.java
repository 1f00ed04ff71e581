package dev.rtc.init;

import dev.rtc.Compiler;
import dev.rtc.manifest.Binder;
import dev.rtc.manifest.Manifest.Os;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.manifest.Topology;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.probe.Probe;
import dev.rtc.probe.TopologyYaml;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A first manifest for a probed host: its topology as rtc probe writes it, the first core of each
 * socket for housekeeping, one real-time VM and one stressor sized to what the host has, a cache
 * split where it has CAT, and a benchmark, every choice explained in a comment. It is compiled
 * here before it is given: what compiles is handed over as is; where the host cannot hold a
 * real-time VM, the manifest still comes, with rtc's own refusal as the reason.
 */
public final class StarterManifest {

  /**
   * @param yaml the manifest, ready to write
   * @param problems rtc's errors for it, empty when it compiles as written
   */
  public record Result(String yaml, List<Diagnostic> problems, String host) {
    public boolean compiles() {
      return problems.isEmpty();
    }
  }

  private StarterManifest() {}

  /**
   * @param os the host's OS from /etc/os-release, if it could be read
   * @param name the bundle's name (a DNS label)
   * @param passwordHash the guests' user's password hash ($6$...)
   */
  public static Result of(Probe.Host host, String source, Optional<Os> os, String name, String passwordHash, boolean newPassword) {
    return of(host, source, os, name, passwordHash, newPassword, "manifest.yaml");
  }

  /** @param file the name the manifest is written under, which its diagnostics name */
  public static Result of(Probe.Host host, String source, Optional<Os> os, String name, String passwordHash, boolean newPassword,
      String file) {
    String topology = TopologyYaml.write(host, false);
    Os hostOs = os.orElse(Os.DEBIAN12);
    Topology t = bind(topology, hostOs);
    Plan p = choose(t);
    String yaml = render(source, os, hostOs, name, passwordHash, newPassword, topology, t, p);
    List<Diagnostic> problems = problems(yaml, file);
    if (!problems.isEmpty() && p.stressor > 0) {
      // The stressor is the part a small host can do without: try once without it.
      Plan alone = new Plan(p.housekeeping, p.rt, 0, p.memoryGiB, p.waysHost, p.waysRt, p.wayBytes, p.rtcOwnsGroups, p.why);
      String smaller = render(source, os, hostOs, name, passwordHash, newPassword, topology, t, alone);
      if (problems(smaller, file).isEmpty()) {
        return new Result(smaller, List.of(), describe(t));
      }
    }
    return new Result(yaml, problems, describe(t));
  }

  /** The host in a few words, for a person told that it cannot hold the manifest: its size, and whether it has CAT. */
  static String describe(Topology t) {
    int cpus = t.allCpus().size();
    String cat = t.catLevel().map(c -> "cache allocation on L" + c.level())
        .orElse("no cache allocation: no CAT, or resctrl not mounted (a VM, or a part without it)");
    return dev.rtc.manifest.diagnostics.Words.count(t.sockets().size(), "socket") + ", "
        + dev.rtc.manifest.diagnostics.Words.count(cpus / t.threadsPerCore(), "core") + ", "
        + dev.rtc.manifest.diagnostics.Words.count(cpus, "CPU") + "; " + cat;
  }

  /** What rtc init decides, before it is written out. */
  private record Plan(CpuSet housekeeping, int rt, int stressor, int memoryGiB, int waysHost, int waysRt, long wayBytes, boolean rtcOwnsGroups,
      List<String> why) {}

  private static Plan choose(Topology t) {
    List<String> why = new ArrayList<>();
    // Housekeeping: the first core of each socket (CPU 0's on socket 0), both threads with SMT.
    CpuSet hk = CpuSet.empty();
    for (Topology.Socket s : t.sockets()) {
      int first = s.cpus().stream().filter(c -> t.coreType(c) == CoreType.P || !t.hybrid()).findFirst().orElse(s.cpus().stream().findFirst()
          .orElse(0));
      hk = hk.union(CpuSet.of(first, t.sibling(first)));
    }
    why.add("housekeeping: the first core of each socket" + (t.smt() ? ", both threads" : "") + ": the host's own work and interrupts "
        + "stay there, every other CPU is isolated for the VMs");
    // The real-time VM: up to 4 vCPUs, each on a whole core of one node (P-cores on hybrid parts).
    int bestCores = 0;
    for (Topology.NumaNode n : t.numaNodes()) {
      CpuSet usable = n.cpus().minus(hk).intersect(t.hybrid() ? t.cpusOfType(CoreType.P) : n.cpus());
      int cores = (int) usable.stream().filter(c -> c <= t.sibling(c) && usable.contains(t.sibling(c))).count();
      bestCores = Math.max(bestCores, cores);
    }
    int rt = Math.max(2, Math.min(4, bestCores));
    int isolatedThreads = t.allCpus().minus(hk).size();
    int left = isolatedThreads - rt * t.threadsPerCore();
    int stressor = Math.max(0, Math.min(4, left));
    long memory = t.numaNodes().stream().flatMap(n -> n.memory().stream()).mapToLong(ByteSize::bytes).min().orElse(Long.MAX_VALUE);
    int memoryGiB = memory < (12L << 30) ? 2 : 4;
    Optional<Topology.CacheLevel> cat = t.catLevel().filter(c -> c.level() == 3 || !t.hybrid());
    int waysHost = 0;
    int waysRt = 0;
    long wayBytes = 0;
    boolean rtcOwns = false;
    if (cat.isPresent()) {
      Topology.Cat c = cat.get().cat().orElseThrow();
      int ways = c.cbmMask().ways();
      wayBytes = cat.get().size().bytes() / ways;
      // Every way has an owner: the host and the stressor (the default group) keep the lower half, the real-time VM
      // gets the rest for itself. A smaller share for it would leave ways that nobody uses.
      waysHost = Math.max(c.minCbmBits(), ways / 2);
      waysRt = ways - waysHost;
      if (waysRt < c.minCbmBits()) {
        waysRt = c.minCbmBits();
        waysHost = Math.max(c.minCbmBits(), ways - waysRt);
      }
      rtcOwns = cat.get().level() == 2;
    }
    return new Plan(hk, rt, stressor, memoryGiB, waysHost, waysRt, wayBytes, rtcOwns, why);
  }

  private static String render(String source, Optional<Os> os, Os hostOs, String name, String hash, boolean newPassword, String topology,
      Topology t, Plan p) {
    StringBuilder y = new StringBuilder();
    y.append("# yaml-language-server: $schema=./manifest.schema.json\n");
    y.append("#\n# A first manifest for this host, written by rtc init from ").append(oneLine(source)).append(".\n");
    y.append("# Every choice below says why; change what the plant needs, then: rtc compile THIS-FILE -o out/\n");
    y.append("# (the first line points an editor at manifest.schema.json, which rtc init writes beside it and rtc schema\n");
    y.append("# prints; man rtc-manifest has every key.)\n");
    y.append("apiVersion: rtc/v1\nname: ").append(name).append("\n\nhost:\n");
    y.append("  os: ").append(hostOs.id()).append(os.isPresent() ? "                     # from /etc/os-release\n"
        : "                     # /etc/os-release was not in the source: check it (debian11, debian12, ubuntu2204, ubuntu2404, rhel9)\n");
    y.append(topology);
    y.append("  # ").append(p.why.get(0)).append('\n');
    y.append("  housekeeping: \"").append(p.housekeeping).append("\"\n");
    if (p.wayBytes > 0) {
      y.append("  # CAT: the host's own work and the stressor keep ").append(p.waysHost).append(p.waysHost == 1 ? " way" : " ways")
          .append(" of every cache instance (").append(new ByteSize(p.wayBytes).person()).append(" each); the other ").append(p.waysRt)
          .append(" are the real-time VM's alone, so no way is left unused\n");
      y.append("  cache: ").append(new ByteSize(p.waysHost * p.wayBytes).person()).append('\n');
      if (p.rtcOwnsGroups) {
        y.append("  cacheOwner: resctrl              # L2 CAT: libvirt cannot allocate L2, so rtc's boot unit makes the groups\n");
      }
    }
    y.append("  # power: lowest-latency holds every CPU awake at a fixed clock (the guide's way); balanced holds only the\n"
        + "  # real-time VM's CPUs so and lets the others sleep and clock down. plan.md says what each costs here.\n");
    y.append("  power: lowest-latency\n");
    String image = hostOs.cloudImage();
    String user = hostOs.cloudUser();
    y.append("\nvms:\n");
    y.append("  # The real-time VM: ").append(p.rt).append(" vCPUs, each on a whole core").append(t.hybrid() ? " of the P-cores" : "")
        .append(" of one NUMA node (the solver picks which); vCPU 0 is the guest's housekeeping, the others run real-time work.\n");
    y.append("  - name: rt\n    role: realtime\n    vcpus: ").append(p.rt).append('\n');
    y.append("    memory: ").append(p.memoryGiB).append(" GiB\n");
    if (p.wayBytes > 0) {
      y.append("    cache: ").append(new ByteSize(p.waysRt * p.wayBytes).person()).append("                   # ").append(p.waysRt)
          .append(p.waysRt == 1 ? " way" : " ways").append(" for its real-time vCPUs alone: every way the host does not keep\n");
    }
    y.append("    disk: {baseImage: ").append(image).append(", size: 10 GiB}   # the site puts the cloud image in /var/lib/libvirt/images/base\n");
    y.append("    guest:\n      os: ").append(hostOs.id()).append("                  # the image's OS, the host's: image, user and packages follow it\n");
    y.append("      user: ").append(user).append("\n      passwordHash: \"").append(hash).append(newPassword ? "\"   # the hash of the password rtc init "
        + "printed (mkpasswd -m sha-512 makes another)\n" : "\"\n");
    if (p.stressor > 0) {
      y.append("\n  # The stressor: ").append(p.stressor).append(" vCPUs of load while the benchmark runs, on isolated CPUs the real-time "
          + "VM does not use (another node or L3 where the host has one).\n");
      y.append("  - name: stress\n    role: stressor\n    vcpus: ").append(p.stressor).append('\n');
      y.append("    memory: ").append(p.memoryGiB).append(" GiB\n    workload: stress-ng\n");
      if (t.numaNodes().size() == 1 && (t.l3().isEmpty() || t.l3().get().instances().size() <= 1)) {
        y.append("    interference: accepted        # one node and one L3: the stressor shares them, which is what the benchmark measures\n");
      }
      y.append("    disk: {baseImage: ").append(image).append(", size: 20 GiB}\n");
      y.append("    guest:\n      os: ").append(hostOs.id()).append("\n      user: ").append(user).append("\n      passwordHash: \"").append(hash)
          .append("\"\n");
    }
    y.append("\n# cyclictest in the real-time VM, as the guide runs it; 1h to try the host, the guide's 24h or more for a verdict.\n");
    y.append("benchmark:\n  vm: rt\n");
    int threads = p.rt >= 4 ? p.rt - 2 : 1;
    String affinity = p.rt >= 4 ? "2-" + (p.rt - 1) : p.rt == 3 ? "2" : "1";
    y.append("  cyclictest: {threads: ").append(threads).append(", priority: 99, intervalUs: 1000, distanceUs: 1")
        .append(p.rt >= 3 ? ", mainAffinity: 1" : "").append(", affinity: \"").append(affinity).append("\"}\n");
    y.append("  duration: 1h\n  verdictUs: {great: 100, good: 300}\n");
    return y.toString();
  }

  /** The topology as rtc binds it, from the block probe wrote (a skeleton manifest around it). */
  private static Topology bind(String topology, Os os) {
    String skeleton = "apiVersion: rtc/v1\nname: init\nhost:\n  os: " + os.id() + "\n" + topology + "  housekeeping: \"0\"\nvms: []\n";
    ManifestLoader.Loaded loaded = ManifestLoader.parse(new ManifestLoader.Source("init.yaml", skeleton.getBytes(StandardCharsets.UTF_8)));
    return Binder.bind(loaded, new Diagnostics("init.yaml", loaded.sourceMap())).host().topology();
  }

  private static List<Diagnostic> problems(String yaml, String file) {
    try {
      new Compiler().validate(new ManifestLoader.Source(file, yaml.getBytes(StandardCharsets.UTF_8)));
      return List.of();
    } catch (ManifestException e) {
      return e.diagnostics().stream().filter(Diagnostic::isError).toList();
    }
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
