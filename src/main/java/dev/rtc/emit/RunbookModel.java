package dev.rtc.emit;

import dev.rtc.manifest.Manifest;
import dev.rtc.plan.Distro;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The values runbook.sh.ftl lays out, computed here so the template holds no logic. */
final class RunbookModel {

  private RunbookModel() {}

  static Map<String, Object> of(Plan plan, String header) {
    Manifest m = plan.manifest();
    Map<String, Object> model = new HashMap<>();
    model.put("header", header);
    model.put("bundle", plan.name());
    model.put("cpuList", m.host().topology().allCpus().toString());
    model.put("nodes", m.host().topology().numaNodes().stream()
        .map(n -> Map.of("id", n.id(), "cpus", n.cpus().toString())).toList());
    model.put("hostArgs", plan.host().cmdline().strings());
    model.put("threadsPerCore", m.host().topology().threadsPerCore());
    // As sysfs prints cache/index3/size: KiB with a K.
    model.put("l3Size", m.host().topology().l3().map(l -> (l.size().bytes() / 1024) + "K").orElse(""));
    model.put("grubUpdate", Distro.of(m.host().os()).grubUpdate());
    model.put("grubby", Distro.of(m.host().os()).grubby());
    model.put("hostArgKeys", plan.host().cmdline().keys());
    model.put("imageDir", DomainXmlEmitter.IMAGE_DIR);
    plan.cache().ifPresent(c -> model.put("resctrl", Map.of("l3Line", c.schemataLine(),
        "cbmMask", Integer.toHexString(c.cbmMask().bits()), "minCbmBits", c.minCbmBits(), "closids", c.closids())));
    List<Map<String, Object>> vms = new ArrayList<>();
    for (VmPlan vm : plan.vms()) {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("name", vm.name());
      v.put("role", vm.vm().role().id());
      v.put("pins", String.join(",", vm.vcpuPins().stream().map(String::valueOf).toList()));
      v.put("emulator", vm.emulatorCpus().toString());
      String base = vm.vm().disk().baseImage();
      v.put("baseImage", base.startsWith("/") ? base : "/var/lib/libvirt/images/base/" + base);
      var size = vm.vm().disk().size(); // qemu-img's suffixes are binary: 10G = 10 GiB
      v.put("diskSize", size.exactValue() + size.exactUnit().substring(0, 1).replace("B", ""));
      v.put("resctrlLine", resctrlLine(plan, vm));
      v.put("guestArgs", vm.guestCmdline().map(Object::toString).orElse(""));
      vms.add(v);
    }
    model.put("vms", vms);
    plan.benchmarkVm().ifPresent(vm -> {
      Manifest.Benchmark b = m.benchmark().orElseThrow();
      model.put("bench", Map.of("vm", vm.name(), "duration", b.duration(), "seconds", seconds(b.duration()),
          "args", cyclictestArgs(b.cyclictest()), "greatUs", b.greatUs(), "goodUs", b.goodUs(),
          "buckets", histogramBuckets(b), "threads", b.cyclictest().threads()));
    });
    return model;
  }

  /**
   * The L3 line libvirt writes for the VM's group: the planned mask on the instances it asked
   * for, the default group's mask on every other instance (libvirt copies those).
   */
  private static String resctrlLine(Plan plan, VmPlan vm) {
    if (plan.cache().isEmpty() || vm.resctrl().isEmpty() || vm.resctrl().get().caches().isEmpty()) {
      return "";
    }
    var cache = plan.cache().get();
    StringBuilder sb = new StringBuilder("L3:");
    cache.hostMasks().forEach((id, hostMask) -> {
      var mask = vm.resctrl().get().caches().stream().filter(a -> a.cacheId() == id).map(Plan.CacheAlloc::mask)
          .findFirst().orElse(hostMask);
      sb.append(sb.length() > 3 ? ";" : "").append(id).append('=').append(cache.hex(mask));
    });
    return sb.toString();
  }

  /** The manifest's cyclictest options, as the guide writes them; -D is added by the runbook. */
  static List<String> cyclictestArgs(Manifest.Cyclictest c) {
    List<String> a = new ArrayList<>(List.of("-t", String.valueOf(c.threads()), "-p", String.valueOf(c.priority()),
        "-i", String.valueOf(c.intervalUs()), "-d", String.valueOf(c.distanceUs()), "-m"));
    c.mainAffinity().ifPresent(cpu -> a.add("--mainaffinity=" + cpu));
    a.add("-a");
    a.add(c.affinity().toString());
    a.add("-q");
    return a;
  }

  /**
   * cyclictest -h: one bucket per µs, up to twice the good threshold (at least 1000 µs), so a
   * failing run's percentiles are still measured rather than lost as overflows.
   */
  static int histogramBuckets(Manifest.Benchmark b) {
    return (int) Math.max(1000, 2L * b.goodUs());
  }

  static long seconds(String duration) {
    long n = Long.parseLong(duration.substring(0, duration.length() - 1));
    return switch (duration.charAt(duration.length() - 1)) {
      case 's' -> n;
      case 'm' -> n * 60;
      case 'h' -> n * 3600;
      default -> n * 86400;
    };
  }
}
