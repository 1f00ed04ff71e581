package dev.rtc.emit;

import dev.rtc.manifest.Manifest;
import dev.rtc.manifest.Topology.NumaNode;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelCmdline.KernelArg;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.topology.CpuSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The plan as rows and pictures, for plan.md and the bundle README. The maps use one character
 * per CPU or way: {@code H} housekeeping/host, a capital letter per VM (by start order) for its
 * vCPUs, the same letter in lower case for its dedicated emulator CPUs, {@code .} free.
 */
final class PlanModel {

  private PlanModel() {}

  /** plan.md, plan.html and the bundle's README.md: one model, three documents. */
  static List<Bundle.Artifact> documents(Plan plan, String header) {
    Map<String, Object> docs = of(plan, header);
    return List.of(Emitters.text("plan.md", Templates.renderUtf8("plan.md.ftl", docs)),
        Emitters.text("plan.html", Templates.renderUtf8("plan.html.ftlh", docs)),
        Emitters.text("README.md", Templates.renderUtf8("README.md.ftl", docs)));
  }

  static Map<String, Object> of(Plan plan, String header) {
    Map<String, Object> model = new HashMap<>();
    model.put("header", header);
    model.put("bundle", plan.name());
    model.put("os", plan.os().id());
    model.put("grubUpdate", String.join(" ", Distro.of(plan.os()).grubUpdate()));
    model.put("grubby", Distro.of(plan.os()).grubby());
    model.put("housekeeping", plan.host().housekeeping().toString());
    model.put("isolated", plan.host().isolated().toString());
    model.put("hostArgs", args(plan.host().cmdline().args()));
    model.put("hostCmdline", plan.host().cmdline().toString());
    Map<Integer, Character> cpuOwner = new HashMap<>();
    plan.host().housekeeping().forEach(c -> cpuOwner.put(c, 'H'));
    List<Map<String, Object>> legend = new ArrayList<>();
    legend.add(Map.of("mark", "H", "meaning", "housekeeping (host)"));
    List<Map<String, Object>> vms = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      char letter = (char) ('A' + (vm.startOrder() - 1) % 26);
      vm.vcpuPins().forEach(c -> cpuOwner.put(c, letter));
      plan.idleSiblings(vm).forEach(c -> cpuOwner.put(c, '-'));
      boolean shared = vm.sharedEmulator();
      boolean dedicated = !shared && !plan.host().housekeeping().containsAll(vm.emulatorCpus());
      if (dedicated) {
        vm.emulatorCpus().forEach(c -> cpuOwner.put(c, Character.toLowerCase(letter)));
      }
      if (shared) {
        vm.emulatorCpus().forEach(c -> cpuOwner.put(c, '*'));
      }
      legend.add(Map.of("mark", String.valueOf(letter), "meaning", vm.name() + " vCPUs"));
      if (dedicated) {
        legend.add(Map.of("mark", String.valueOf(Character.toLowerCase(letter)), "meaning", vm.name() + " emulator threads"));
      }
      vms.add(vm(plan, vm, letter));
    }
    if (cpuOwner.containsValue('*')) {
      legend.add(Map.of("mark", "*", "meaning", "shared emulator pool (emulator: shared)"));
    }
    if (cpuOwner.containsValue('-')) {
      legend.add(Map.of("mark", "-", "meaning", "idle SMT sibling of a real-time vCPU"));
    }
    legend.add(Map.of("mark", ".", "meaning", "isolated, unused"));
    legend.replaceAll(l -> Map.of("mark", l.get("mark"), "meaning", l.get("meaning"), "fill", fill(((String) l.get("mark")).charAt(0))));
    model.put("legend", legend);
    Map<Character, String> meanings = new HashMap<>();
    legend.forEach(l -> meanings.put(((String) l.get("mark")).charAt(0), (String) l.get("meaning")));
    List<Map<String, Object>> nodes = new ArrayList<>();
    for (NumaNode n : plan.topology().numaNodes()) {
      StringBuilder map = new StringBuilder();
      n.cpus().forEach(c -> map.append(cpuOwner.getOrDefault(c, '.')));
      Map<String, Object> node = new HashMap<>(Map.of("id", n.id(), "cpus", n.cpus().describe(), "map", map.toString()));
      String types = null;
      if (plan.topology().hybrid()) {
        // One letter per CPU under the map: P, E, or L for a low-power E-core.
        StringBuilder t = new StringBuilder();
        n.cpus().forEach(c -> t.append(plan.topology().coreType(c).id().charAt(0) == 'L' ? 'L'
            : plan.topology().coreType(c).id().charAt(0)));
        types = t.toString();
        node.put("types", types);
      }
      node.put("cells", cells(map.toString(), n.cpus().toList(), "CPU", meanings, types));
      node.put("height", rowsHeight(map.length()));
      nodes.add(node);
    }
    model.put("nodes", nodes);
    model.put("hybrid", plan.topology().hybrid());
    model.put("vms", vms);
    model.put("devices", devices(plan));
    model.put("bios", BiosChecklist.of(plan));
    model.put("sriov", plan.virtualFunctions().entrySet().stream().map(e -> e.getValue() + " on " + e.getKey()).toList());
    java.util.SortedSet<String> networks = new java.util.TreeSet<>(plan.attachments(Manifest.NetKind.NETWORK));
    model.put("usesDefaultNetwork", networks.remove("default"));
    model.put("siteNetworks", List.copyOf(networks));
    model.put("bridges", List.copyOf(plan.attachments(Manifest.NetKind.BRIDGE)));
    model.put("macvtaps", List.copyOf(plan.attachments(Manifest.NetKind.MACVTAP)));
    plan.cache().ifPresent(c -> model.put("cache", cache(plan, c)));
    model.put("decisions", plan.decisions().stream()
        .map(d -> Map.of("subject", d.subject(), "what", d.what(), "why", d.why())).toList());
    plan.benchmark().ifPresent(b -> model.put("bench", Map.of("vm", b.vm(), "command", "cyclictest "
        + String.join(" ", b.cyclictestArgs()) + " -D " + b.duration(), "duration", b.duration(), "greatUs", b.greatUs(),
        "goodUs", b.goodUs())));
    model.put("stressors", plan.vms().stream().filter(v -> !v.isRealtime()).map(VmPlan::name).toList());
    List<Map<String, Object>> kernels = new ArrayList<>();
    List<Map<String, Object>> tunings = new ArrayList<>();
    kernels.add(kernel("host", plan.host().kernel(), Distro.of(plan.os())));
    tunings.add(tuning("host", plan.host().tuning()));
    for (VmPlan vm : plan.vms()) {
      vm.kernel().ifPresent(k -> kernels.add(kernel(vm.name(), k, Distro.of(vm.os()))));
      vm.tuning().ifPresent(t -> tunings.add(tuning(vm.name(), t)));
    }
    model.put("kernels", kernels);
    model.put("tunings", tunings);
    model.put("hugepagesUnit", !plan.host().hugepagesByUnit().isEmpty());
    model.put("supplies", supplies(dev.rtc.plan.Supplies.of(plan)));
    model.put("apt", Distro.of(plan.os()).apt());
    return model;
  }

  private static Map<String, Object> kernel(String who, dev.rtc.plan.KernelPlan k, Distro d) {
    String from = k.repo().map(r -> "from " + r.uri() + " (" + r.suite() + " " + r.component() + "), key " + r.keyring()
        + " (signed-by), pinned to " + r.pinPriority()).orElse(k.ubuntuPro() ? "through Ubuntu Pro (pro enable realtime-kernel)"
            : !d.extraRepos().isEmpty() ? "from " + String.join(" and ", d.extraRepos()) : "from the distribution's archive");
    String boot = !k.isRealtime() ? "the stock kernel stays the default: nothing here is real-time"
        : d.grubby() ? "grubby makes the newest PREEMPT_RT kernel the default entry"
            : "the GRUB drop-in makes the newest PREEMPT_RT kernel (CONFIG_PREEMPT_RT=y) the default entry";
    return Map.of("who", who, "name", k.name(), "from", k.isRealtime() ? from : "", "packages",
        k.packages().isEmpty() ? (k.ubuntuPro() ? "(installed by Ubuntu Pro)" : "-") : String.join(" ", k.packages()), "boot", boot,
        "release", k.release().isEmpty() ? "" : k.release());
  }

  private static Map<String, Object> tuning(String who, dev.rtc.plan.TuningPlan t) {
    return Map.of("who", who, "profile", t.profile(), "include", t.include(), "settings", t.settings().stream()
        // A | inside a Markdown table cell ends the cell, code span or not.
        .map(x -> Map.of("what", x.what(), "value", x.value().replace("|", "\\|"), "from", x.from(), "why", x.why())).toList(),
        "checks", t.checks(who.equals("host")).stream().map(c -> c.what()).toList());
  }

  private static Map<String, Object> supplies(dev.rtc.plan.Supplies s) {
    return Map.of("images", s.images().stream().map(i -> Map.of("path", i.path(), "sha256", i.sha256().orElse(""),
        "vms", String.join(", ", i.vms()))).toList(),
        "hostPackages", String.join(" ", s.hostPackages()),
        "guestPackages", s.guestPackages().entrySet().stream().map(e -> Map.of("vm", e.getKey(), "packages", String.join(" ", e.getValue())))
            .toList(),
        "repositories", s.repositories(), "networks", s.networks(), "proToken", s.ubuntuProToken(), "rhelKey", s.rhelActivationKey());
  }

  private static Map<String, Object> vm(Plan plan, VmPlan vm, char letter) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("name", vm.name());
    v.put("letter", String.valueOf(letter));
    v.put("role", vm.role().id());
    v.put("grubby", Distro.of(vm.os()).grubby());
    v.put("order", vm.startOrder());
    v.put("node", vm.numaNode());
    var t = plan.topology();
    // On hybrid parts, the core type the VM's vCPUs run on (one per VM): ", P-cores".
    v.put("coreType", t.hybrid() ? ", " + t.coreType(vm.vcpuPins().get(0)).noun() + "s" : "");
    v.put("vcpus", vm.vcpus());
    v.put("memory", vm.memory().exact());
    List<String> pins = new ArrayList<>();
    for (int i = 0; i < vm.vcpuPins().size(); i++) {
      pins.add(i + "→" + vm.vcpuPins().get(i));
    }
    v.put("pins", String.join(" ", pins));
    v.put("hostCpus", vm.hostCpus().toString());
    v.put("emulator", vm.emulatorCpus().toString());
    v.put("rtVcpus", vm.rtVcpus().toString());
    CpuSet guestHk = vm.guestHousekeepingVcpus();
    v.put("guestHk", (guestHk.size() > 1 ? "vCPUs " : "vCPU ") + guestHk);
    v.put("guestArgs", vm.guestCmdline().map(c -> args(c.args())).orElse(List.of()));
    v.put("cache", vm.resctrl().map(r -> r.caches().stream().map(a -> "L" + plan.cache().map(Plan.CachePlan::level).orElse(3)
        + " instance " + a.cacheId() + ": " + a.size().exact()
        + " (" + a.ways() + (a.ways() == 1 ? " way" : " ways") + ", mask " + plan.cache().map(c -> c.hex(a.mask())).orElse("") + ")").toList()).orElse(List.of()));
    v.put("bandwidth", vm.resctrl().map(r -> r.bandwidth().stream().map(b -> "MB domain " + b.node() + ": " + b.percent() + "%").toList())
        .orElse(List.of()));
    v.put("devices", vm.devices().stream().map(PlanModel::device).toList());
    v.put("nics", vm.nics().stream().map(n -> "virtio NIC " + n.mac() + switch (n.attachment().kind()) {
      case NETWORK -> " on libvirt network " + n.attachment().name();
      case BRIDGE -> " on bridge " + n.attachment().name();
      case MACVTAP -> " by macvtap on " + n.attachment().name() + " (bridge mode)";
    }).toList());
    return v;
  }

  /** A passed device as plan.md says it: what, how, and where (its node and IOMMU group). */
  static String device(Plan.Passed p) {
    var a = p.device();
    var h = a.device();
    String group = a.isVf() ? "its own IOMMU group, made with the VF" : h.iommuGroup().isPresent() ? "IOMMU group "
        + h.iommuGroup().getAsInt() : "IOMMU group read after the reboot";
    return (a.isVf() ? a.said() + ", MAC " + p.mac().orElseThrow() + a.vlan().stream().mapToObj(v -> ", VLAN " + v).findFirst().orElse("")
        : "device " + withId(h) + ", whole") + ": NUMA node " + h.node() + ", " + group;
  }

  /** "0000:17:00.0 (enp23s0, 8086:125b)": the address, its interface name and ids. */
  private static String withId(dev.rtc.manifest.Manifest.HostDevice h) {
    return h.address() + " (" + h.iface().map(i -> i + ", ").orElse("") + h.id() + ")";
  }

  /** Every passed device with its VM, for plan.html's table: and why the VM sits where it does. */
  static List<Map<String, Object>> devices(Plan plan) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      for (Plan.Passed p : vm.devices()) {
        var h = p.device().device();
        out.add(Map.of("vm", vm.name(), "what", p.isVf() ? p.device().said() : withId(h), "node", h.node(),
            "group", p.isVf() ? "own (VF)" : h.iommuGroup().isPresent() ? String.valueOf(h.iommuGroup().getAsInt()) : "after reboot",
            "why", vm.isRealtime() ? "runs on node " + vm.numaNode() + ", the device's" : vm.numaNode() == h.node()
                ? "runs on the device's node " + vm.numaNode() : "runs on node " + vm.numaNode() + ", apart from the real-time VMs"));
      }
    }
    return out;
  }

  private static Map<String, Object> cache(Plan plan, Plan.CachePlan c) {
    Map<String, Object> m = new HashMap<>();
    m.put("size", c.instanceSize().exact());
    m.put("level", c.level());
    m.put("rtcOwned", c.rtcOwned());
    m.put("groups", c.rtcOwned() ? plan.vms().stream().filter(v -> v.resctrl().isPresent())
        .map(v -> Map.of("name", Plan.rtcGroup(v.name()), "cpus", plan.rtHostCpus(v).toString())).toList() : List.of());
    m.put("ways", c.ways());
    m.put("wayBytes", c.wayBytes().exact());
    m.put("cbmMask", c.hex(c.cbmMask()));
    m.put("minCbmBits", c.minCbmBits());
    m.put("closids", c.closids());
    // Under CDP each group takes a CODE and a DATA CLOS: half are usable, everywhere the number is shown;
    // and another resource (MB, the other cache level) may have fewer.
    m.put("closidsSaid", c.clos().said());
    m.put("hostAsked", c.hostRequested().exact());
    m.put("hostWays", c.hostWays());
    m.put("schemata", c.schemataLine());
    StringBuilder scale = new StringBuilder();
    for (int w = 0; w < c.ways(); w++) {
      scale.append(w % 10);
    }
    m.put("scale", scale.toString());
    Map<String, Character> letters = new HashMap<>();
    plan.vms().forEach(v -> letters.put(v.name(), (char) ('A' + (v.startOrder() - 1) % 26)));
    List<Map<String, Object>> instances = new ArrayList<>();
    c.owners().forEach((id, owners) -> {
      char[] row = ".".repeat(c.ways()).toCharArray();
      List<String> who = new ArrayList<>();
      for (Plan.Owner o : owners) {
        char mark = o.who().equals("host") ? 'H' : letters.get(o.who());
        for (int w = 0; w < c.ways(); w++) {
          if (o.mask().has(w)) {
            row[w] = mark;
          }
        }
        who.add(o.who() + " " + c.hex(o.mask()));
      }
      List<Integer> ways = new ArrayList<>();
      for (int w = 0; w < c.ways(); w++) {
        ways.add(w);
      }
      Map<Character, String> owner = new HashMap<>(Map.of('H', "the host's default group", '.', "unallocated"));
      letters.forEach((vm, letter) -> owner.put(letter, vm + "'s group"));
      instances.add(Map.of("id", id, "map", new String(row), "owners", String.join(", ", who), "cells", cells(new String(row), ways, "way",
          owner, null), "height", rowsHeight(row.length)));
    });
    m.put("instances", instances);
    return m;
  }

  /** Colours for plan.html, by map mark: grey host, a hue per VM (its emulator CPUs lighter), white free. */
  private static final String[] HUES = {"#0969da", "#cf222e", "#1a7f37", "#8250df", "#bf8700", "#1b7c83", "#bc4c00", "#6639ba"};
  private static final String[] LIGHT = {"#9cc7f5", "#f2a5aa", "#9fd8aa", "#cdb5f5", "#ecd28a", "#9ed8dd", "#f2b38a", "#c8b2ea"};

  static String fill(char mark) {
    if (mark == 'H') {
      return "#8c959f";
    }
    if (mark == '.') {
      return "#ffffff";
    }
    if (mark == '-') {
      return "#d0d7de";
    }
    if (mark == '*') {
      return "#eac54f"; // the shared emulator pool
    }
    return Character.isUpperCase(mark) ? HUES[(mark - 'A') % HUES.length] : LIGHT[(mark - 'a') % LIGHT.length];
  }

  /** Cells per row of a picture, and a cell's size and pitch in px: numbers of up to four digits fit. */
  static final int PER_ROW = 32;
  static final int CELL = 26;
  static final int PITCH = 28;

  /**
   * One square per character of a map row, for the SVG pictures, wrapped {@link #PER_ROW} to a row:
   * position, colour, the CPU's or way's number written in it (legible on its fill), a hatch for an
   * idle SMT sibling, a band under a core-type's cells on hybrid parts, and a hover title that says
   * what the square is in words.
   *
   * @param numbers what each square is: its CPU or way number
   * @param types the core type letter under each square (P, E, L), or null when the part has one type
   */
  private static List<Map<String, Object>> cells(String map, List<Integer> numbers, String noun, Map<Character, String> meaning,
      String types) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int i = 0; i < map.length(); i++) {
      char mark = map.charAt(i);
      String fill = fill(mark);
      Map<String, Object> c = new HashMap<>();
      c.put("x", PITCH * (i % PER_ROW) + 1);
      c.put("y", PITCH * (i / PER_ROW) + 1);
      c.put("fill", fill);
      c.put("text", String.valueOf(numbers.get(i)));
      c.put("textFill", dark(fill) ? "#ffffff" : "#24292f");
      c.put("hatch", mark == '-');
      String type = types == null ? "" : switch (types.charAt(i)) {
        case 'E' -> "E-core";
        case 'L' -> "low-power E-core";
        default -> "P-core";
      };
      c.put("band", types == null || types.charAt(i) == 'P' ? "" : types.charAt(i) == 'E' ? "#24292f" : "#d4a72c");
      c.put("title", noun + " " + numbers.get(i) + ": " + meaning.getOrDefault(mark, String.valueOf(mark)) + (type.isEmpty() ? "" : " (" + type + ")"));
      out.add(c);
    }
    return out;
  }

  /** The picture's height for {@code n} squares: whole rows of {@link #PER_ROW}. */
  static int rowsHeight(int n) {
    return PITCH * ((n + PER_ROW - 1) / PER_ROW) + 2;
  }

  /** Whether a fill is dark enough that its number is written in white. */
  private static boolean dark(String hex) {
    int rgb = Integer.parseInt(hex.substring(1), 16);
    double l = 0.299 * (rgb >> 16) + 0.587 * ((rgb >> 8) & 0xff) + 0.114 * (rgb & 0xff);
    return l < 150;
  }

  private static List<Map<String, String>> args(List<KernelArg> args) {
    return args.stream().map(a -> Map.of("arg", a.toString(), "why", a.why())).toList();
  }

}
