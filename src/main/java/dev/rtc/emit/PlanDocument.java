package dev.rtc.emit;

import java.util.List;

/**
 * What plan.md, plan.html, the bundle's README.md and {@code rtc explain} are given: one record,
 * built by {@link PlanModel}, its components the names the templates read. An absent part (no
 * cache allocation, no benchmark, a part with one core type) is null, which the templates test with
 * {@code ??}. Public, because FreeMarker reads only public classes.
 */
public record PlanDocument(String header, String bundle, String os, String grubUpdate, boolean grubby, boolean apt, String housekeeping,
    String isolated, List<Arg> hostArgs, String hostCmdline, List<Legend> legend, List<Node> nodes, boolean hybrid, List<Vm> vms,
    List<Device> devices, List<BiosChecklist.Row> bios, List<String> sriov, boolean usesDefaultNetwork, List<String> siteNetworks,
    List<String> bridges, List<String> macvtaps, Cache cache, List<Decision> decisions, Bench bench, List<String> stressors,
    List<Kernel> kernels, List<Tuning> tunings, boolean hugepagesUnit, Supplies supplies, long qualifyLimitUs, int qualifyMinutes,
    List<SpikeCause> spikeCauses, String textfileDir, String platformClass, String platformWhy, Power power) {

  /**
   * host.power: the mode, the CPUs held and free, the real-time VMs' CPUs and the others (what
   * balanced would hold and free), and the held CPUs' wake-up limit (µs).
   */
  public record Power(String mode, boolean balanced, String held, String free, String realtime, String others, int heldUs) {}

  /** A cause the autopsy names (dev.rtc.report.SpikeCause), for the bundle README's table. */
  public record SpikeCause(String code, String title, String remedy) {}

  /** A kernel argument and why rtc sets it. */
  public record Arg(String arg, String why) {}

  /** A mark of the CPU and cache maps, what it means, and its colour in plan.html. */
  public record Legend(String mark, String meaning, String fill) {}

  /** A NUMA node's CPUs: the text map (one mark per CPU), its core types on hybrid parts (else null), and its picture. */
  public record Node(int id, String cpus, String map, String types, List<Cell> cells, int height) {}

  /** One square of a picture: where, its colour, its number, and what it is in words. */
  public record Cell(int x, int y, String fill, String text, String textFill, boolean hatch, String band, String title) {}

  public record Vm(String name, String letter, String role, boolean grubby, int order, int node, String coreType, int vcpus, String memory,
      String pins, String hostCpus, String emulator, String rtVcpus, String guestHk, List<Arg> guestArgs, List<String> cache,
      List<String> bandwidth, List<String> devices, List<String> nics) {}

  /** A passed device, for plan.html's table, and why its VM sits where it does. */
  public record Device(String vm, String what, int node, String group, String why) {}

  public record Cache(String size, int level, boolean rtcOwned, List<Group> groups, int ways, String wayBytes, String cbmMask,
      int minCbmBits, int closids, String closidsSaid, String hostAsked, int hostWays, String schemata, String scale,
      List<Instance> instances) {}

  public record Group(String name, String cpus) {}

  /** One cache instance's ways: the text map, who owns which mask, and its picture. */
  public record Instance(int id, String map, String owners, List<Cell> cells, int height) {}

  public record Decision(String subject, String what, String why) {}

  public record Bench(String vm, String command, String duration, long greatUs, long goodUs) {}

  /** A kernel of the plan: whose, which, where it comes from, and how it becomes the default. */
  public record Kernel(String who, String name, String from, String packages, String boot, String release) {}

  public record Tuning(String who, String profile, String include, List<Setting> settings, List<String> checks) {}

  public record Setting(String what, String value, String from, String why) {}

  /** What the site provides: images, packages, repositories, networks, secrets. */
  public record Supplies(List<Image> images, String hostPackages, List<GuestPackages> guestPackages, List<String> repositories,
      List<String> networks, boolean proToken, boolean rhelKey) {}

  public record Image(String path, String sha256, String vms, String origin) {}

  public record GuestPackages(String vm, String packages) {}
}
