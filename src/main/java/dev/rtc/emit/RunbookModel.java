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
    // On parts with L2 CAT only, the L2 the plan divides; sysfs prints cpu0's.
    model.put("l2Size", m.host().topology().catLevel().filter(c -> c.level() == 2).map(l -> (l.size().bytes() / 1024) + "K").orElse(""));
    var t = m.host().topology();
    model.put("pCores", t.hybrid() ? t.cpusOfType(dev.rtc.manifest.Manifest.CoreType.P).toString() : "");
    model.put("eCores", t.hybrid() ? t.cpusOfType(dev.rtc.manifest.Manifest.CoreType.E).union(t.cpusOfType(dev.rtc.manifest.Manifest.CoreType.LPE))
        .toString() : "");
    model.put("grubUpdate", Distro.of(m.host().os()).grubUpdate());
    model.put("grubby", Distro.of(m.host().os()).grubby());
    model.put("hostArgKeys", plan.host().cmdline().keys());
    model.put("imageDir", DomainXmlEmitter.IMAGE_DIR);
    plan.cache().ifPresent(c -> model.put("resctrl", Map.of("defaultLines", c.schemataLines(c.hostMasks()), "level", c.level(), "info", c.resources().get(0),
        "cbmMask", Integer.toHexString(c.cbmMask().bits()), "minCbmBits", c.minCbmBits(), "closids", c.closids(),
        "groups", !c.rtcOwned() ? List.of() : plan.vms().stream().filter(v -> v.resctrl().isPresent())
            .map(v -> Map.of("name", Plan.rtcGroup(v.name()), "vm", v.name(), "cpus", plan.rtHostCpus(v).toString())).toList())));
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
    plan.benchmark().ifPresent(b -> model.put("bench", Map.of("vm", b.vm(), "duration", b.duration(), "seconds", b.durationSeconds(),
        "args", b.cyclictestArgs(), "greatUs", b.greatUs(), "goodUs", b.goodUs(), "buckets", b.histogramBuckets(),
        "threads", b.threads())));
    return model;
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
