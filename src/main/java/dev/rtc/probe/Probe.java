package dev.rtc.probe;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.topology.ByteSize;
import dev.rtc.topology.CpuSet;
import dev.rtc.topology.WayMask;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a host's topology from sysfs and resctrl, the way the kernel reports it: per online CPU its
 * core, package, node, L2 and L3 ids and core type; per node its memory; per cache level its size
 * and CAT parameters. Everything comes from files the kernel documents (Documentation/ABI/testing/
 * sysfs-devices-system-cpu, resctrl.rst); nothing is guessed from model names.
 */
public final class Probe {

  /** One online CPU, as a row of the manifest's per-CPU table. l2 and l3 are null where it has no such cache. */
  public record Row(int cpu, int core, int socket, int node, Integer l2, Integer l3, CoreType type) {}

  /** /sys/fs/resctrl/info/L{2,3} (or L{2,3}CODE with CDP; closids is then the hardware's, twice the file's). */
  public record CatInfo(WayMask cbmMask, int minCbmBits, int closids, WayMask shareableBits, boolean cdp) {}

  /** /sys/fs/resctrl/info/MB: bandwidth_gran, min_bandwidth and num_closids (0 where the file is missing). */
  public record MbaInfo(int granularity, int min, int closids) {}

  /**
   * @param notes what the reader had to work around, written as comments above the topology
   */
  public record Host(String source, List<Row> rows, Map<Integer, ByteSize> nodeMemory, Optional<ByteSize> l2Size,
      Optional<ByteSize> l3Size, Optional<CatInfo> l2Cat, Optional<CatInfo> l3Cat, Optional<MbaInfo> mba, List<String> notes,
      Map<CoreType, ByteSize> l2TypeSizes, List<PciDevices.PciInfo> pci) {

    public Host {
      l2TypeSizes = Map.copyOf(l2TypeSizes);
      pci = List.copyOf(pci);
    }

    Host(String source, List<Row> rows, Map<Integer, ByteSize> nodeMemory, Optional<ByteSize> l2Size, Optional<ByteSize> l3Size,
        Optional<CatInfo> l2Cat, Optional<CatInfo> l3Cat, Optional<MbaInfo> mba, List<String> notes) {
      this(source, rows, nodeMemory, l2Size, l3Size, l2Cat, l3Cat, mba, notes, Map.of(), List.of());
    }
  }

  /** The host has no CPU list, or a file the topology cannot do without is missing or malformed. */
  public static final class ProbeException extends Exception {
    ProbeException(String message) {
      super(message);
    }
  }

  /** lspci's record form, with domains, numeric ids and drivers: what {@link #devices} reads. */
  public static final String LSPCI_COMMAND = "lspci -Dnn -vmm -k > lspci.txt";

  /** Whether {@code text} is lspci's output (devices only) rather than a host's facts or lscpu's. */
  public static boolean isLspci(String text) {
    return PciDevices.isLspci(text);
  }

  /** host.devices from lspci's output, with comments saying what lspci cannot tell. */
  public static String devices(String name, String text) throws ProbeException {
    List<String> notes = new ArrayList<>();
    List<PciDevices.PciInfo> devices = PciDevices.fromLspci(name, text, notes);
    StringBuilder y = new StringBuilder("  # rtc probe: read from " + name.replaceAll("\\p{Cntrl}", "?") + "; " + devices.size()
        + " network device" + (devices.size() == 1 ? "" : "s") + "\n");
    notes.forEach(n -> y.append("  # note: ").append(n.replaceAll("\\p{Cntrl}", "?")).append('\n'));
    return y.append(devices.isEmpty() ? "  devices: []\n" : PciDevices.yaml(devices)).toString();
  }

  /** The commands whose JSON {@link #read(String, String)} reads, all in one file. */
  public static final String LSCPU_COMMAND =
      "{ lscpu -J -e=CPU,CORE,SOCKET,NODE,CACHE,ONLINE; lscpu -J -C --bytes; lscpu -J; } > lscpu.json";

  private static final String CPU = "/sys/devices/system/cpu";
  private static final String NODE = "/sys/devices/system/node";
  private static final String RESCTRL = "/sys/fs/resctrl/info";
  private static final Pattern MEM_TOTAL = Pattern.compile("Node \\d+ MemTotal:\\s+(\\d+) kB");

  private final HostFiles files;
  private final List<String> notes = new ArrayList<>();

  private Probe(HostFiles files) {
    this.files = files;
  }

  public static Host read(HostFiles files) throws ProbeException {
    return new Probe(files).read();
  }

  /**
   * Reads a file a technician sent back: the runbook's facts, or what lscpu prints ({@code -J} or
   * {@code -p}), told apart by their first lines.
   */
  public static Host read(String name, String text) throws ProbeException {
    if (Lscpu.isJson(text)) {
      return Lscpu.fromJson(name, text);
    }
    if (Lscpu.isTable(text)) {
      return Lscpu.fromTable(name, text);
    }
    return read(HostFiles.dump(name, text));
  }

  private Host read() throws ProbeException {
    CpuSet online = cpus(need(CPU + "/online"), CPU + "/online");
    files.read(CPU + "/offline").filter(s -> !s.isBlank()).ifPresent(off -> notes.add("CPUs " + off + " are offline and left out "
        + "(with SMT switched off at run time, their siblings are offline; rtc plans the CPUs that run)"));

    Map<Integer, Integer> nodeOf = new HashMap<>();
    Map<Integer, ByteSize> memory = new TreeMap<>();
    for (String n : files.list(NODE)) {
      if (!n.matches("node\\d+")) {
        continue;
      }
      int id = Integer.parseInt(n.substring(4));
      Optional<String> list = files.read(NODE + "/" + n + "/cpulist");
      if (list.isEmpty()) {
        continue;
      }
      for (int cpu : cpus(list.get(), NODE + "/" + n + "/cpulist")) {
        nodeOf.put(cpu, id);
      }
      files.read(NODE + "/" + n + "/meminfo").ifPresent(mi -> {
        Matcher m = MEM_TOTAL.matcher(mi);
        if (m.find()) {
          memory.put(id, new ByteSize(Long.parseLong(m.group(1)) * 1024));
        }
      });
    }
    if (nodeOf.isEmpty()) {
      notes.add("no NUMA node information (" + NODE + "), so every CPU is put on node 0");
    }

    CpuSet pCores = files.read("/sys/devices/cpu_core/cpus").map(s -> cpusOrEmpty(s)).orElse(CpuSet.empty());
    CpuSet eCores = files.read("/sys/devices/cpu_atom/cpus").map(s -> cpusOrEmpty(s)).orElse(CpuSet.empty());

    Map<Integer, ByteSize> sizes = new TreeMap<>();
    Map<Integer, ByteSize> l2SizeOf = new HashMap<>();
    List<Row> rows = new ArrayList<>();
    Map<String, Integer> madeUpIds = new HashMap<>();
    for (int cpu : online) {
      String base = CPU + "/cpu" + cpu;
      // A core is the set of CPUs in thread_siblings_list, named by its lowest CPU: core_id alone is
      // not unique on parts with several dies per package. Without that file, core_id it is.
      Optional<String> siblings = files.read(base + "/topology/thread_siblings_list").map(String::strip).filter(x -> !x.isEmpty());
      int core = siblings.isPresent() ? cpus(siblings.get(), base + "/topology/thread_siblings_list").toList().get(0)
          : integer(need(base + "/topology/core_id"), base + "/topology/core_id");
      int socket = integer(need(base + "/topology/physical_package_id"), base + "/topology/physical_package_id");
      Integer l2 = null;
      Integer l3 = null;
      for (String idx : files.list(base + "/cache")) {
        if (!idx.matches("index\\d+")) {
          continue;
        }
        String c = base + "/cache/" + idx;
        int level = files.read(c + "/level").map(String::strip).map(Integer::parseInt).orElse(0);
        if ((level != 2 && level != 3) || !files.read(c + "/type").map(String::strip).orElse("").equals("Unified")) {
          continue;
        }
        Integer id = files.read(c + "/id").map(String::strip).map(Integer::valueOf).orElse(null);
        if (id == null) {
          // Kernels before 4.11 have no cache id; CPUs that share a cache get one made-up id per level.
          String shared = files.read(c + "/shared_cpu_list").orElse("cpu" + cpu);
          id = madeUpIds.computeIfAbsent(level + ":" + shared, k -> (int) madeUpIds.keySet().stream().filter(x -> x.startsWith(level + ":")).count());
          if (madeUpIds.size() == 1) {
            notes.add("this kernel shows no cache ids (cache/indexN/id); ids were numbered in CPU order, which may not match resctrl's");
          }
        }
        Optional<ByteSize> size = files.read(c + "/size").map(String::strip).map(ByteSize::parse);
        if (size.isPresent()) {
          ByteSize before = sizes.putIfAbsent(level, size.get());
          if (before != null && !before.equals(size.get()) && level == 3) {
            notes.add("L3 instances differ in size (" + before.exact() + ", " + size.get().exact() + "); libvirt refuses that, and "
                + "the first is used");
          }
          if (level == 2) {
            l2SizeOf.put(cpu, size.get()); // hybrid parts: P-core and E-core L2s differ; by type below
          }
        }
        if (level == 2) {
          l2 = id;
        } else {
          l3 = id;
        }
      }
      CoreType type = CoreType.P;
      if (eCores.contains(cpu)) {
        type = l3 == null ? CoreType.LPE : CoreType.E;
      } else if (!pCores.isEmpty() && !pCores.contains(cpu)) {
        notes.add("CPU " + cpu + " is in neither cpu_core nor cpu_atom; taken as a P-core");
      }
      rows.add(new Row(cpu, core, socket, nodeOf.getOrDefault(cpu, 0), l2, l3, type));
    }
    if (pCores.isEmpty() && eCores.isEmpty()) {
      rows = CoreTypes.inferFromL2(rows, notes, "this kernel does not say the core types (no /sys/devices/cpu_core, cpu_atom)");
    }
    Map<CoreType, ByteSize> l2TypeSizes = l2SizesByType(rows, l2SizeOf);
    if (!l2TypeSizes.isEmpty()) {
      sizes.put(2, l2TypeSizes.getOrDefault(CoreType.P, sizes.get(2)));
    }
    Optional<CatInfo> l3cat = cat("L3");
    Optional<CatInfo> l2cat = cat("L2");
    if (files.list(RESCTRL).isEmpty()) {
      notes.add("no /sys/fs/resctrl/info: resctrl is not mounted (mount -t resctrl resctrl /sys/fs/resctrl) or the part has no CAT;"
          + " without it the topology has no cat, and VMs cannot ask for cache");
    }
    Optional<MbaInfo> mba = Optional.empty();
    Optional<String> gran = files.read(RESCTRL + "/MB/bandwidth_gran");
    if (gran.isPresent()) {
      String min = RESCTRL + "/MB/min_bandwidth";
      String closids = RESCTRL + "/MB/num_closids";
      mba = Optional.of(new MbaInfo(integer(gran.get(), RESCTRL + "/MB/bandwidth_gran"), integer(need(min), min),
          files.read(closids).isPresent() ? integer(files.read(closids).get(), closids) : 0));
    }
    List<PciDevices.PciInfo> pci = PciDevices.fromSysfs(files, notes);
    return new Host(files.describe(), rows, memory, Optional.ofNullable(sizes.get(2)), Optional.ofNullable(sizes.get(3)),
        l2cat, l3cat, mba, List.copyOf(notes), l2TypeSizes, pci);
  }

  /**
   * The L2 size of each core type when they differ (P-core and E-core L2s), else empty: l2.size
   * then says it for all. Types whose CPUs disagree among themselves are said in a note, the first kept.
   */
  private Map<CoreType, ByteSize> l2SizesByType(List<Row> rows, Map<Integer, ByteSize> sizeOf) {
    Map<CoreType, ByteSize> byType = new java.util.EnumMap<>(CoreType.class);
    java.util.Set<CoreType> noted = java.util.EnumSet.noneOf(CoreType.class);
    for (Row r : rows) {
      ByteSize size = sizeOf.get(r.cpu());
      if (size == null) {
        continue;
      }
      ByteSize before = byType.putIfAbsent(r.type(), size);
      if (before != null && !before.equals(size) && noted.add(r.type())) {
        notes.add("the L2s of " + r.type().noun() + "s differ in size (" + before.exact() + ", " + size.exact() + " on CPU " + r.cpu()
            + "); the first is written");
      }
    }
    return byType.values().stream().distinct().count() > 1 ? byType : Map.of();
  }

  private Optional<CatInfo> cat(String res) throws ProbeException {
    // With CDP (mount -o cdp / cdpl2) resctrl shows <res>CODE and <res>DATA instead of <res>, each
    // with half the hardware's CLOS.
    boolean cdp = files.read(RESCTRL + "/" + res + "/cbm_mask").isEmpty() && files.read(RESCTRL + "/" + res + "CODE/cbm_mask").isPresent();
    String dir = RESCTRL + "/" + res + (cdp ? "CODE" : "");
    Optional<String> mask = files.read(dir + "/cbm_mask");
    if (mask.isEmpty()) {
      return Optional.empty();
    }
    int closids = integer(need(dir + "/num_closids"), dir + "/num_closids");
    return Optional.of(new CatInfo(WayMask.parseHex(mask.get().strip()), integer(need(dir + "/min_cbm_bits"), dir + "/min_cbm_bits"),
        cdp ? 2 * closids : closids, WayMask.parseHex(files.read(dir + "/shareable_bits").map(String::strip).orElse("0")), cdp));
  }

  private String need(String path) throws ProbeException {
    return files.read(path).orElseThrow(() -> new ProbeException(files.describe() + ": " + path + " is missing; "
        + (files instanceof HostFiles.Dump ? "collect the facts with: " + HostFiles.FACTS_COMMAND : "is this a Linux root with /sys?")));
  }

  private CpuSet cpus(String text, String path) throws ProbeException {
    try {
      return CpuSet.parse(text.strip());
    } catch (IllegalArgumentException e) {
      throw new ProbeException(files.describe() + ": " + path + ": " + e.getMessage());
    }
  }

  private static CpuSet cpusOrEmpty(String text) {
    try {
      return CpuSet.parse(text.strip());
    } catch (IllegalArgumentException e) {
      return CpuSet.empty();
    }
  }

  private int integer(String text, String path) throws ProbeException {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new ProbeException(files.describe() + ": " + path + ": '" + text.strip() + "' is not a number");
    }
  }
}
