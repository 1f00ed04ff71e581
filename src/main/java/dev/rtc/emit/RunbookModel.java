package dev.rtc.emit;

import dev.rtc.manifest.Manifest;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelPlan;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.plan.TuningPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The values runbook.sh.ftl lays out, computed here so the template holds no logic. */
final class RunbookModel {

  /**
   * The least a stressor must load its vCPUs, as the host sees their time: a benchmark beside a
   * stressor that idles (its download failed, its unit died) is no test of the real-time VM.
   */
  static final int STRESS_LOAD_MIN_PERCENT = 50;

  private RunbookModel() {}

  static Map<String, Object> of(Plan plan, String header) {
    Distro host = Distro.of(plan.os());
    Map<String, Object> model = new HashMap<>();
    model.put("header", header);
    model.put("bundle", plan.name());
    model.put("osId", osId(plan.os()));
    model.put("checks", RunbookChecks.rows(plan));

    model.put("hostArgs", plan.host().cmdline().strings());
    model.put("hostArgKeys", plan.host().cmdline().keys());
    model.put("grubUpdate", host.grubUpdate());
    model.put("grubby", host.grubby());
    model.put("apt", host.apt());
    model.put("install", host.install());
    model.put("imageDir", DomainXmlEmitter.IMAGE_DIR);

    KernelPlan k = plan.host().kernel();
    Map<String, Object> kernel = new HashMap<>(kernel(k));
    List<String> hostPackages = dev.rtc.plan.Supplies.of(plan).hostPackages();
    model.put("hostPackages", hostPackages);
    // What preflight can ask the package manager about before the host step: the packages of the
    // distribution's own repositories, not those of a repository rtc adds (ECI).
    model.put("distroPackages", hostPackages.stream().filter(p -> k.repo().isEmpty() || !k.packages().contains(p)).toList());
    model.put("extraRepos", host.extraRepos());
    model.put("kernel", kernel);
    k.repo().ifPresent(r -> model.put("repo", Map.of("name", r.name(), "line", r.sourcesLine(), "file", r.sourcesFile(),
        "keyUrl", r.keyUrl(), "keyring", r.keyring(), "prefFile", r.preferencesFile(), "pref", r.preferences())));
    TuningPlan tuning = plan.host().tuning();
    model.put("tunedProfile", tuning.profile());
    model.put("stalld", tuning.stalld());
    // Any VM that needs Ubuntu Pro's token at images time (its vendor-data), or the host step.
    model.put("rhelKey", dev.rtc.plan.Supplies.of(plan).rhelActivationKey());
    model.put("rhelRepos", dev.rtc.plan.KernelPlan.RHEL_REPOS);
    model.put("proToken", k.ubuntuPro() || plan.vms().stream().anyMatch(v -> v.kernel().map(KernelPlan::ubuntuPro).orElse(false)));

    plan.cache().ifPresent(c -> {
      Map<String, Object> r = new HashMap<>();
      r.put("defaultLines", c.schemataLines(c.hostMasks()));
      r.put("info", c.resources().get(0));
      r.put("cbmMask", Integer.toHexString(c.cbmMask().bits()));
      r.put("groups", !c.rtcOwned() ? List.of() : plan.vms().stream().filter(v -> v.resctrl().isPresent())
          .map(v -> Map.of("name", Plan.rtcGroup(v.name()), "vm", v.name())).toList());
      model.put("resctrl", r);
    });
    model.put("units", units(plan));

    List<Map<String, Object>> vms = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("name", vm.name());
      v.put("role", vm.role().id());
      v.put("vcpus", vm.vcpus());
      v.put("pins", String.join(",", vm.vcpuPins().stream().map(String::valueOf).toList()));
      v.put("emulator", vm.emulatorCpus().toString());
      v.put("baseImage", dev.rtc.plan.Supplies.imagePath(vm.disk().baseImage()));
      v.put("baseSha256", vm.disk().sha256().orElse(""));
      var size = vm.disk().size(); // qemu-img's suffixes are binary: 10G = 10 GiB
      v.put("diskSize", size.exactValue() + size.exactUnit().substring(0, 1).replace("B", ""));
      v.put("diskBytes", size.bytes());
      v.put("resctrlLine", resctrlLine(plan, vm));
      v.put("guestArgs", vm.guestCmdline().map(Object::toString).orElse(""));
      v.put("kernelRt", vm.kernel().map(KernelPlan::isRealtime).orElse(false) ? 1 : 0);
      v.put("kernelRelease", vm.kernel().map(KernelPlan::release).orElse(""));
      v.put("kernelName", vm.kernel().map(KernelPlan::name).orElse("the image's own kernel"));
      v.put("pro", vm.kernel().map(KernelPlan::ubuntuPro).orElse(false) ? 1 : 0);
      // A real-time RHEL guest without a site mirror registers with the host's activation key (its RT and NFV repositories).
      v.put("rhel", vm.isRealtime() && vm.os() == Manifest.Os.RHEL9 && plan.site().rhel().isEmpty() ? 1 : 0);
      v.put("tunedProfile", vm.tuning().map(TuningPlan::profile).orElse(""));
      v.put("stalld", vm.tuning().map(TuningPlan::stalld).orElse(false) ? 1 : 0);
      vms.add(v);
    }
    model.put("vms", vms);
    model.put("networks", List.of(Map.of("name", "default", "file", "host/libvirt/networks/default.xml")));
    devices(plan, model);
    model.put("housekeeping", plan.host().housekeeping().toString());
    model.put("stressLoadMin", STRESS_LOAD_MIN_PERCENT);
    plan.benchmark().ifPresent(b -> model.put("bench", Map.of("vm", b.vm(), "duration", b.duration(), "seconds", b.durationSeconds(),
        "args", b.cyclictestArgs(), "greatUs", b.greatUs(), "goodUs", b.goodUs(), "buckets", b.histogramBuckets(),
        "threads", b.threads(), "intervalUs", b.intervalUs())));
    return model;
  }

  private static Map<String, Object> kernel(KernelPlan k) {
    return Map.of("name", k.name(), "rt", k.isRealtime() ? 1 : 0, "release", k.release(), "realtime", k.realtime().id(),
        "pro", k.ubuntuPro() ? 1 : 0, "eci", k.realtime() == Manifest.Realtime.ECI ? 1 : 0);
  }

  /** The boot units the host step installs, in the order systemd should know them. */
  /**
   * What the runbook checks and gives back of devices and networks: each passed device as
   * vm|kind|address|id|driver|node|group|pf|vf|mac (empty where it has none), each physical
   * function to create VFs on as address|count, and the libvirt networks, bridges and host
   * interfaces the VMs' NICs need.
   */
  private static void devices(Plan plan, Map<String, Object> model) {
    List<String> rows = new ArrayList<>();
    java.util.Set<String> pfs = new java.util.TreeSet<>();
    for (VmPlan vm : plan.vms()) {
      for (Plan.Passed p : vm.devices()) {
        var a = p.device();
        var h = a.device();
        rows.add(String.join("|", vm.name(), a.isVf() ? "vf" : "whole", a.address().toString(), h.id(), h.driver().orElse(""),
            String.valueOf(h.node()), a.isVf() ? "" : h.iommuGroup().isPresent() ? String.valueOf(h.iommuGroup().getAsInt()) : "",
            a.isVf() ? h.address().toString() : "", a.isVf() ? String.valueOf(a.vf().getAsInt()) : "", p.mac().orElse("")));
        if (a.isVf()) {
          pfs.add(h.address() + "|" + h.id() + "|" + h.driver().orElse("") + "|" + h.node());
        }
      }
    }
    model.put("devices", rows);
    model.put("sriovPfs", plan.virtualFunctions().entrySet().stream().map(e -> e.getKey() + "|" + e.getValue()).toList());
    model.put("pfDevices", List.copyOf(pfs));
    var networks = plan.attachments(Manifest.NetKind.NETWORK);
    model.put("libvirtNetworks", List.copyOf(networks));
    if (!networks.contains("default")) {
      model.put("networks", List.of()); // no VM uses the NAT network: the vms step neither checks nor defines it
    }
    model.put("bridges", List.copyOf(plan.attachments(Manifest.NetKind.BRIDGE)));
    model.put("macvtapIfaces", List.copyOf(plan.attachments(Manifest.NetKind.MACVTAP)));
  }

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
