package dev.rtc.emit;

import dev.rtc.manifest.Manifest;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelPlan;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.plan.TuningPlan;
import java.util.ArrayList;
import dev.rtc.plan.Supplies;
import java.util.List;

/**
 * The values runbook.sh.ftl lays out, computed here so the template holds no logic: one record, each
 * component a value of the runbook's plan block. An absent part (no repository of rtc's, no cache
 * allocation, no benchmark) is null, which the template tests with {@code ??}.
 */
public record RunbookModel(String header, String bundle, String osId, List<String> checks, Kernel kernel, boolean proToken,
    boolean rhelKey, List<String> rhelRepos, List<String> hostPackages, List<String> distroPackages, List<String> install, boolean apt,
    List<String> extraRepos, Repo repo, List<String> hostArgs, List<String> hostArgKeys, boolean grubby, List<String> grubUpdate,
    String tunedProfile, boolean stalld, List<String> units, Resctrl resctrl, List<Vm> vms, List<NetworkFile> networks,
    List<String> libvirtNetworks, List<String> bridges, List<String> macvtapIfaces, List<String> devices, List<String> pfDevices,
    List<String> sriovPfs, String housekeeping, String isolated, int stressLoadMin, Bench bench, Qualify qualify, String imageDir, String textfileDir, Power power) {

  /**
   * The least a stressor must load its vCPUs, as the host sees their time: a benchmark beside a
   * stressor that idles (its download failed, its unit died) is no test of the real-time VM.
   */
  static final int STRESS_LOAD_MIN_PERCENT = 50;

  /** The host's kernel and how to recognise it running; rt, eci, pro: 1 or 0, as bash tests them. */
  public record Kernel(String name, int rt, String release, int eci, int pro) {}

  /** A repository of rtc's (the guide's ECI repository): its key, list and pinning. */
  public record Repo(String keyUrl, String keyring, String file, String line, String prefFile, String pref) {}

  /** resctrl on the host: the resource rtc reads, the default group's lines, and rtc's own groups. */
  public record Resctrl(String info, List<String> defaultLines, String cbmMask, List<Group> groups) {}

  public record Group(String name, String vm) {}

  /** One VM as the steps use it; kernelRt, pro, rhel, stalld: 1 or 0. */
  public record Vm(String name, String role, int vcpus, String pins, String emulator, String baseImage, String baseSha256, String diskSize,
      long diskBytes, String resctrlLine, String guestArgs, String kernelName, int kernelRt, String kernelRelease, int pro, int rhel,
      String tunedProfile, int stalld) {}

  public record NetworkFile(String name, String file) {}

  public record Bench(String vm, String duration, long seconds, List<String> args, int threads, int intervalUs, int buckets, long greatUs,
      long goodUs) {}

  /** The qualify step's window per measure, and the platform's noise limit (QualifyPlan). */
  public record Qualify(int seconds, long noiseLimitUs) {}

  /** host.power, for qualify's C-state check: the mode, the CPUs held (every isolated one under lowest-latency), and their limit. */
  public record Power(String mode, String held, String heldUs) {}

  static RunbookModel of(Plan plan, String header) {
    Distro host = Distro.of(plan.os());
    KernelPlan k = plan.host().kernel();
    List<String> hostPackages = Supplies.of(plan).hostPackages();
    TuningPlan tuning = plan.host().tuning();
    Resctrl resctrl = plan.cache().map(c -> new Resctrl(c.resources().get(0), c.schemataLines(c.hostMasks()),
        Integer.toHexString(c.cbmMask().bits()), !c.rtcOwned() ? List.<Group>of() : plan.vms().stream().filter(v -> v.resctrl().isPresent())
            .map(v -> new Group(Plan.rtcGroup(v.name()), v.name())).toList())).orElse(null);
    var libvirtNetworks = plan.attachments(Manifest.NetKind.NETWORK);
    return new RunbookModel(header, plan.name(), osId(plan.os()), RunbookChecks.rows(plan),
        new Kernel(k.name(), k.isRealtime() ? 1 : 0, k.release(), k.realtime() == Manifest.Realtime.ECI ? 1 : 0, k.ubuntuPro() ? 1 : 0),
        // Any VM that needs Ubuntu Pro's token at images time (its vendor-data), or the host step.
        k.ubuntuPro() || plan.vms().stream().anyMatch(v -> v.kernel().map(KernelPlan::ubuntuPro).orElse(false)),
        Supplies.of(plan).rhelActivationKey(), KernelPlan.RHEL_REPOS, hostPackages,
        // What preflight can ask the package manager about before the host step: the packages of the
        // distribution's own repositories, not those of a repository rtc adds (ECI).
        hostPackages.stream().filter(p -> k.repo().isEmpty() || !k.packages().contains(p)).toList(), host.install(), host.apt(),
        host.extraRepos(), k.repo().map(r -> new Repo(r.keyUrl(), r.keyring(), r.sourcesFile(), r.sourcesLine(), r.preferencesFile(),
            r.preferences())).orElse(null),
        plan.host().cmdline().strings(), plan.host().cmdline().keys(), host.grubby(), host.grubUpdate(), tuning.profile(), tuning.stalld(),
        units(plan), resctrl, plan.vms().stream().map(vm -> vm(plan, vm)).toList(),
        // No VM on the NAT network: the vms step neither checks nor defines it.
        libvirtNetworks.contains("default") ? List.of(new NetworkFile("default", "host/libvirt/networks/default.xml")) : List.of(),
        List.copyOf(libvirtNetworks), List.copyOf(plan.attachments(Manifest.NetKind.BRIDGE)),
        List.copyOf(plan.attachments(Manifest.NetKind.MACVTAP)), devices(plan), pfDevices(plan),
        plan.virtualFunctions().entrySet().stream().map(e -> e.getKey() + "|" + e.getValue()).toList(), plan.host().housekeeping().toString(),
        plan.host().isolated().toString(), STRESS_LOAD_MIN_PERCENT, plan.benchmark().map(b -> new Bench(b.vm(), b.duration(), b.durationSeconds(), b.cyclictestArgs(),
            b.threads(), b.intervalUs(), b.histogramBuckets(), b.greatUs(), b.goodUs())).orElse(null),
        new Qualify(dev.rtc.plan.QualifyPlan.of(plan).seconds(), dev.rtc.plan.QualifyPlan.of(plan).noiseLimitUs()), DomainXmlEmitter.IMAGE_DIR,
        host.textfileDir(), power(plan.host().power(), plan.host().isolated()));
  }

  private static Power power(dev.rtc.plan.PowerPlan p, dev.rtc.topology.CpuSet isolated) {
    return p.balanced() ? new Power(p.mode().id(), p.held().toString(), String.valueOf(dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US))
        : new Power(p.mode().id(), isolated.toString(), "");
  }

  private static Vm vm(Plan plan, VmPlan vm) {
    var size = vm.disk().size(); // qemu-img's suffixes are binary: 10G = 10 GiB
    return new Vm(vm.name(), vm.role().id(), vm.vcpus(), String.join(",", vm.vcpuPins().stream().map(String::valueOf).toList()),
        vm.emulatorCpus().toString(), Supplies.imagePath(vm.disk().baseImage()), vm.disk().sha256().orElse(""),
        size.exactValue() + size.exactUnit().substring(0, 1).replace("B", ""), size.bytes(), resctrlLine(plan, vm),
        vm.guestCmdline().map(Object::toString).orElse(""), vm.kernel().map(KernelPlan::name).orElse("the image's own kernel"),
        vm.kernel().map(KernelPlan::isRealtime).orElse(false) ? 1 : 0, vm.kernel().map(KernelPlan::release).orElse(""),
        vm.kernel().map(KernelPlan::ubuntuPro).orElse(false) ? 1 : 0,
        // A real-time RHEL guest without a site mirror registers with the host's activation key (its RT and NFV repositories).
        vm.isRealtime() && vm.os() == Manifest.Os.RHEL9 && plan.site().rhel().isEmpty() ? 1 : 0,
        vm.tuning().map(TuningPlan::profile).orElse(""), vm.tuning().map(TuningPlan::stalld).orElse(false) ? 1 : 0);
  }

  /**
   * Each passed device as vm|kind|address|id|driver|node|group|pf|vf|mac (empty where it has none):
   * what the runbook checks and gives back.
   */
  private static List<String> devices(Plan plan) {
    List<String> rows = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      for (Plan.Passed p : vm.devices()) {
        var a = p.device();
        var h = a.device();
        rows.add(String.join("|", vm.name(), a.isVf() ? "vf" : "whole", a.address().toString(), h.id(), h.driver().orElse(""),
            String.valueOf(h.node()), a.isVf() ? "" : h.iommuGroup().isPresent() ? String.valueOf(h.iommuGroup().getAsInt()) : "",
            a.isVf() ? h.address().toString() : "", a.isVf() ? String.valueOf(a.vf().getAsInt()) : "", p.mac().orElse("")));
      }
    }
    return rows;
  }

  /** Each physical function whose virtual functions are given, as address|vendor:device|driver|node. */
  private static List<String> pfDevices(Plan plan) {
    java.util.Set<String> pfs = new java.util.TreeSet<>();
    for (VmPlan vm : plan.vms()) {
      for (Plan.Passed p : vm.devices()) {
        if (p.isVf()) {
          var h = p.device().device();
          pfs.add(h.address() + "|" + h.id() + "|" + h.driver().orElse("") + "|" + h.node());
        }
      }
    }
    return List.copyOf(pfs);
  }

  /** The boot units the host step installs, in the order systemd should know them. */
  private static List<String> units(Plan plan) {
    List<String> u = new ArrayList<>();
    if (!plan.virtualFunctions().isEmpty()) {
      u.add("rtc-sriov.service");
    }
    if (plan.cache().isPresent()) {
      u.add("rtc-resctrl.service");
    }
    if (!plan.host().hugepagesByUnit().isEmpty()) {
      u.add("rtc-hugepages.service");
    }
    return u;
  }

  /** /etc/os-release's ID. */
  static String osId(Manifest.Os os) {
    return switch (os) {
      case DEBIAN11, DEBIAN12 -> "debian";
      case UBUNTU2204, UBUNTU2404 -> "ubuntu";
      case RHEL9 -> "rhel";
    };
  }

  /** /etc/os-release's VERSION_ID, up to what the manifest's OS pins down (RHEL: the major release). */
  static String osVersion(Manifest.Os os) {
    return switch (os) {
      case DEBIAN11 -> "11";
      case DEBIAN12 -> "12";
      case UBUNTU2204 -> "22.04";
      case UBUNTU2404 -> "24.04";
      case RHEL9 -> "9";
    };
  }

  /**
   * The cache line of the VM's group (libvirt's or rtc's): the planned mask on the instances it
   * asked for, the default group's mask on every other instance (libvirt copies those).
   */
  private static String resctrlLine(Plan plan, VmPlan vm) {
    if (plan.cache().isEmpty() || vm.resctrl().isEmpty() || vm.resctrl().get().caches().isEmpty()) {
      return "";
    }
    var cache = plan.cache().get();
    return String.join(" ", cache.schemataLines(cache.groupMasks(vm.resctrl().get())));
  }
}
