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
    PlanDocument docs = of(plan, header);
    return List.of(Emitters.text("plan.md", Templates.renderUtf8("plan.md.ftl", docs)),
        Emitters.text("plan.html", Templates.renderUtf8("plan.html.ftlh", docs)),
        Emitters.text("README.md", Templates.renderUtf8("README.md.ftl", docs)));
  }

  static PlanDocument of(Plan plan, String header) {
    Map<Integer, Character> cpuOwner = new HashMap<>();
    plan.host().housekeeping().forEach(c -> cpuOwner.put(c, 'H'));
    List<String[]> marks = new ArrayList<>();
    marks.add(new String[] {"H", "housekeeping (host)"});
    List<PlanDocument.Vm> vms = new ArrayList<>();
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
      marks.add(new String[] {String.valueOf(letter), vm.name() + " vCPUs"});
      if (dedicated) {
        marks.add(new String[] {String.valueOf(Character.toLowerCase(letter)), vm.name() + " emulator threads"});
      }
      vms.add(vm(plan, vm, letter));
    }
    if (cpuOwner.containsValue('*')) {
      marks.add(new String[] {"*", "shared emulator pool (emulator: shared)"});
    }
    if (cpuOwner.containsValue('-')) {
      marks.add(new String[] {"-", "idle SMT sibling of a real-time vCPU"});
    }
    marks.add(new String[] {".", "isolated, unused"});
    List<PlanDocument.Legend> legend = marks.stream().map(m -> new PlanDocument.Legend(m[0], m[1], fill(m[0].charAt(0)))).toList();
    Map<Character, String> meanings = new HashMap<>();
    legend.forEach(l -> meanings.put(l.mark().charAt(0), l.meaning()));
    List<PlanDocument.Node> nodes = new ArrayList<>();
    for (NumaNode n : plan.topology().numaNodes()) {
      StringBuilder map = new StringBuilder();
      n.cpus().forEach(c -> map.append(cpuOwner.getOrDefault(c, '.')));
      String types = null;
      if (plan.topology().hybrid()) {
        // One letter per CPU under the map: P, E, or L for a low-power E-core.
        StringBuilder t = new StringBuilder();
        n.cpus().forEach(c -> t.append(plan.topology().coreType(c).id().charAt(0) == 'L' ? 'L'
            : plan.topology().coreType(c).id().charAt(0)));
        types = t.toString();
      }
      nodes.add(new PlanDocument.Node(n.id(), n.cpus().describe(), map.toString(), types,
          cells(map.toString(), n.cpus().toList(), "CPU", meanings, types), rowsHeight(map.length())));
    }
    java.util.SortedSet<String> networks = new java.util.TreeSet<>(plan.attachments(Manifest.NetKind.NETWORK));
    boolean usesDefault = networks.remove("default");
    List<PlanDocument.Kernel> kernels = new ArrayList<>();
    List<PlanDocument.Tuning> tunings = new ArrayList<>();
    kernels.add(kernel("host", plan.host().kernel(), Distro.of(plan.os())));
    tunings.add(tuning("host", plan.host().tuning()));
    for (VmPlan vm : plan.vms()) {
      vm.kernel().ifPresent(k -> kernels.add(kernel(vm.name(), k, Distro.of(vm.os()))));
      vm.tuning().ifPresent(t -> tunings.add(tuning(vm.name(), t)));
    }
    Distro host = Distro.of(plan.os());
    return new PlanDocument(header, plan.name(), plan.os().id(), String.join(" ", host.grubUpdate()), host.grubby(), host.apt(),
        plan.host().housekeeping().toString(), plan.host().isolated().toString(), args(plan.host().cmdline().args()),
        plan.host().cmdline().toString(), legend, nodes, plan.topology().hybrid(), vms, devices(plan), BiosChecklist.of(plan),
        plan.virtualFunctions().entrySet().stream().map(e -> e.getValue() + " on " + e.getKey()).toList(), usesDefault,
        List.copyOf(networks), List.copyOf(plan.attachments(Manifest.NetKind.BRIDGE)), List.copyOf(plan.attachments(Manifest.NetKind.MACVTAP)),
        plan.cache().map(c -> cache(plan, c)).orElse(null),
        plan.decisions().stream().map(d -> new PlanDocument.Decision(d.subject(), d.what(), d.why())).toList(),
        plan.benchmark().map(b -> new PlanDocument.Bench(b.vm(), "cyclictest " + String.join(" ", b.cyclictestArgs()) + " -D " + b.duration(),
            b.duration(), b.greatUs(), b.goodUs())).orElse(null),
        plan.vms().stream().filter(v -> !v.isRealtime()).map(VmPlan::name).toList(), kernels, tunings,
        !plan.host().hugepagesByUnit().isEmpty(), supplies(dev.rtc.plan.Supplies.of(plan)), dev.rtc.plan.QualifyPlan.of(plan).noiseLimitUs(),
        // Two measures of its window each, and the reads around them.
        (2 * dev.rtc.plan.QualifyPlan.of(plan).seconds() + 59) / 60,
        java.util.Arrays.stream(dev.rtc.report.SpikeCause.values()).map(c -> new PlanDocument.SpikeCause(c.code(), c.title(), c.remedy())).toList(),
        host.textfileDir(), BiosChecklist.platform(plan).kind().word, BiosChecklist.platform(plan).why(), power(plan.host().power()));
  }

  private static PlanDocument.Power power(dev.rtc.plan.PowerPlan p) {
    return new PlanDocument.Power(p.mode().id(), p.balanced(), p.held().toString(), p.free().toString(), p.realtime().toString(),
        p.all().minus(p.realtime()).toString(), dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US);
  }

  private static PlanDocument.Kernel kernel(String who, dev.rtc.plan.KernelPlan k, Distro d) {
    String from = k.repo().map(r -> "from " + r.uri() + " (" + r.suite() + " " + r.component() + "), key " + r.keyring()
        + " (signed-by), pinned to " + r.pinPriority()).orElse(k.ubuntuPro() ? "through Ubuntu Pro (pro enable realtime-kernel)"
            : !d.extraRepos().isEmpty() ? "from " + String.join(" and ", d.extraRepos()) : "from the distribution's archive");
    String boot = !k.isRealtime() ? "the stock kernel stays the default: nothing here is real-time"
        : d.grubby() ? "grubby makes the newest PREEMPT_RT kernel the default entry"
            : "the GRUB drop-in makes the newest PREEMPT_RT kernel (CONFIG_PREEMPT_RT=y) the default entry";
    return new PlanDocument.Kernel(who, k.name(), k.isRealtime() ? from : "",
        k.packages().isEmpty() ? (k.ubuntuPro() ? "(installed by Ubuntu Pro)" : "-") : String.join(" ", k.packages()), boot, k.release());
  }

  private static PlanDocument.Tuning tuning(String who, dev.rtc.plan.TuningPlan t) {
    return new PlanDocument.Tuning(who, t.profile(), t.include(), t.settings().stream()
        // A | inside a Markdown table cell ends the cell, code span or not.
        .map(x -> new PlanDocument.Setting(x.what(), x.value().replace("|", "\\|"), x.from(), x.why())).toList(),
        t.checks(who.equals("host")).stream().map(c -> c.what()).toList());
  }

  private static PlanDocument.Supplies supplies(dev.rtc.plan.Supplies s) {
    return new PlanDocument.Supplies(s.images().stream().map(i -> new PlanDocument.Image(i.path(), i.sha256().orElse(""),
        String.join(", ", i.vms()), dev.rtc.plan.Supplies.origin(i.path()))).toList(), String.join(" ", s.hostPackages()),
        s.guestPackages().entrySet().stream().map(e -> new PlanDocument.GuestPackages(e.getKey(), String.join(" ", e.getValue()))).toList(),
        s.repositories(), s.networks(), s.ubuntuProToken(), s.rhelActivationKey());
  }

  private static PlanDocument.Vm vm(Plan plan, VmPlan vm, char letter) {
    var t = plan.topology();
    List<String> pins = new ArrayList<>();
    for (int i = 0; i < vm.vcpuPins().size(); i++) {
      pins.add(i + "→" + vm.vcpuPins().get(i));
    }
    CpuSet guestHk = vm.guestHousekeepingVcpus();
    return new PlanDocument.Vm(vm.name(), String.valueOf(letter), vm.role().id(), Distro.of(vm.os()).grubby(), vm.startOrder(),
        vm.numaNode(),
        // On hybrid parts, the core type the VM's vCPUs run on (one per VM): ", P-cores".
        t.hybrid() ? ", " + t.coreType(vm.vcpuPins().get(0)).noun() + "s" : "", vm.vcpus(), vm.memory().exact(), String.join(" ", pins),
        vm.hostCpus().toString(), vm.emulatorCpus().toString(), vm.rtVcpus().toString(),
        (guestHk.size() > 1 ? "vCPUs " : "vCPU ") + guestHk, vm.guestCmdline().map(c -> args(c.args())).orElse(List.of()),
        vm.resctrl().map(r -> r.caches().stream().map(a -> "L" + plan.cache().map(Plan.CachePlan::level).orElse(3)
            + " instance " + a.cacheId() + ": " + a.size().exact() + " (" + a.ways() + (a.ways() == 1 ? " way" : " ways") + ", mask "
            + plan.cache().map(c -> c.hex(a.mask())).orElse("") + ")").toList()).orElse(List.of()),
        vm.resctrl().map(r -> r.bandwidth().stream().map(b -> "MB domain " + b.node() + ": " + b.percent() + "%").toList()).orElse(List.of()),
        vm.devices().stream().map(PlanModel::device).toList(),
        vm.nics().stream().map(n -> "virtio NIC " + n.mac() + switch (n.attachment().kind()) {
          case NETWORK -> " on libvirt network " + n.attachment().name();
          case BRIDGE -> " on bridge " + n.attachment().name();
          case MACVTAP -> " by macvtap on " + n.attachment().name() + " (bridge mode)";
        }).toList());
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
  static List<PlanDocument.Device> devices(Plan plan) {
    List<PlanDocument.Device> out = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      for (Plan.Passed p : vm.devices()) {
        var h = p.device().device();
        out.add(new PlanDocument.Device(vm.name(), p.isVf() ? p.device().said() : withId(h), h.node(),
            p.isVf() ? "own (VF)" : h.iommuGroup().isPresent() ? String.valueOf(h.iommuGroup().getAsInt()) : "after reboot",
            vm.isRealtime() ? "runs on node " + vm.numaNode() + ", the device's" : vm.numaNode() == h.node()
                ? "runs on the device's node " + vm.numaNode() : "runs on node " + vm.numaNode() + ", apart from the real-time VMs"));
      }
    }
    return out;
  }

  private static PlanDocument.Cache cache(Plan plan, Plan.CachePlan c) {
    StringBuilder scale = new StringBuilder();
    for (int w = 0; w < c.ways(); w++) {
      scale.append(w % 10);
    }
    Map<String, Character> letters = new HashMap<>();
    plan.vms().forEach(v -> letters.put(v.name(), (char) ('A' + (v.startOrder() - 1) % 26)));
    List<PlanDocument.Instance> instances = new ArrayList<>();
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
      instances.add(new PlanDocument.Instance(id, new String(row), String.join(", ", who), cells(new String(row), ways, "way", owner, null),
          rowsHeight(row.length)));
    });
    return new PlanDocument.Cache(c.instanceSize().exact(), c.level(), c.rtcOwned(), c.rtcOwned() ? plan.vms().stream()
        .filter(v -> v.resctrl().isPresent()).map(v -> new PlanDocument.Group(Plan.rtcGroup(v.name()), plan.rtHostCpus(v).toString())).toList()
        : List.of(), c.ways(), c.wayBytes().exact(), c.hex(c.cbmMask()), c.minCbmBits(), c.closids(),
        // Under CDP each group takes a CODE and a DATA CLOS: half are usable, everywhere the number is shown;
        // and another resource (MB, the other cache level) may have fewer.
        c.clos().said(), c.hostRequested().exact(), c.hostWays(), c.schemataLine(), scale.toString(), instances);
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
  private static List<PlanDocument.Cell> cells(String map, List<Integer> numbers, String noun, Map<Character, String> meaning,
      String types) {
    List<PlanDocument.Cell> out = new ArrayList<>();
    for (int i = 0; i < map.length(); i++) {
      char mark = map.charAt(i);
      String fill = fill(mark);
      String type = types == null ? "" : switch (types.charAt(i)) {
        case 'E' -> "E-core";
        case 'L' -> "low-power E-core";
        default -> "P-core";
      };
      out.add(new PlanDocument.Cell(PITCH * (i % PER_ROW) + 1, PITCH * (i / PER_ROW) + 1, fill, String.valueOf(numbers.get(i)),
          dark(fill) ? "#ffffff" : "#24292f", mark == '-',
          types == null || types.charAt(i) == 'P' ? "" : types.charAt(i) == 'E' ? "#24292f" : "#d4a72c",
          noun + " " + numbers.get(i) + ": " + meaning.getOrDefault(mark, String.valueOf(mark)) + (type.isEmpty() ? "" : " (" + type + ")")));
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

  private static List<PlanDocument.Arg> args(List<KernelArg> args) {
    return args.stream().map(a -> new PlanDocument.Arg(a.toString(), a.why())).toList();
  }

}
