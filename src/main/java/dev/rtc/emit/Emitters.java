package dev.rtc.emit;

import dev.rtc.Version;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelCmdline;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs every emitter over a plan and collects the bundle. Each emitter is a pure function of the
 * plan; the only shared value is the provenance header.
 */
public final class Emitters {

  private Emitters() {}

  /** The group's schemata: the cache line, then the MB line when the VM asks for bandwidth. */
  public static String groupSchemata(Plan plan, VmPlan vm) {
    Plan.Resctrl group = vm.resctrl().orElseThrow();
    String line = plan.cache().orElseThrow().groupLine(group);
    if (!group.bandwidth().isEmpty()) {
      StringBuilder mb = new StringBuilder("MB:");
      group.bandwidth().forEach(bw -> mb.append(mb.length() > 3 ? ";" : "").append(bw.node()).append('=').append(bw.percent()));
      line += "\n" + mb;
    }
    return line;
  }

  public static Bundle emit(Plan plan) {
    String header = header(plan);
    Bundle b = new Bundle();
    Distro hostDistro = Distro.of(plan.manifest().host().os());
    if (!hostDistro.grubby()) {
      b.add("host/grub/99-rtc.cfg", grubDropIn(header, "host " + plan.name(), plan.host().cmdline(), hostDistro));
    }
    plan.cache().ifPresent(cache -> {
      b.add("host/resctrl/schemata", cache.schemataLine() + "\n"); // written verbatim to resctrl: no comment lines
      List<String> groups = new java.util.ArrayList<>();
      if (cache.rtcOwned()) {
        for (VmPlan vm : plan.vms()) {
          if (vm.resctrl().isEmpty()) {
            continue;
          }
          String group = Plan.rtcGroup(vm.name());
          groups.add(group);
          b.add("host/resctrl/" + group + "/cpus_list", plan.rtHostCpus(vm) + "\n");
          b.add("host/resctrl/" + group + "/schemata", groupSchemata(plan, vm) + "\n");
        }
      }
      b.add("host/systemd/rtc-resctrl.service", Templates.renderUtf8("rtc-resctrl.service.ftl", Map.of("header", header,
          "bundle", plan.name(), "summary", "host keeps L" + cache.level() + " " + cache.hostMasks().values().iterator().next().describe()
              + (groups.isEmpty() ? "" : ", " + groups.size() + " real-time group" + (groups.size() == 1 ? "" : "s")),
          "groups", groups)));
    });
    for (VmPlan vm : plan.vms()) {
      String dir = "vms/" + vm.name() + "/";
      Distro guestDistro = Distro.of(vm.vm().guest().os());
      String dropIn = guestDistro.grubby() ? null
          : vm.guestCmdline().map(c -> grubDropIn(header, "guest " + vm.name(), c, guestDistro)).orElse(null);
      String stress = vm.isRealtime() ? null : Templates.render("rtc-stress.sh.ftl", Map.of("header", header, "vm", vm.name(),
          "workload", vm.vm().workload().map(w -> w.id()).orElse("kernel-build")));
      if (dropIn != null) {
        b.add(dir + "grub/99-rtc.cfg", dropIn);
      }
      if (stress != null) {
        b.addExecutable(dir + "rtc-stress.sh", stress);
      }
      String userData = CloudInitEmitter.userData(vm, header, dropIn, stress);
      b.add(dir + "user-data", userData);
      b.add(dir + "meta-data", CloudInitEmitter.metaData(vm, header, userData));
      b.add(dir + "domain.xml", DomainXmlEmitter.emit(plan, vm, header));
    }
    b.addExecutable("runbook.sh", Templates.renderUtf8("runbook.sh.ftl", RunbookModel.of(plan, header)));
    Map<String, Object> docs = PlanModel.of(plan, header);
    b.add("plan.md", Templates.renderUtf8("plan.md.ftl", docs));
    b.add("plan.html", Templates.renderUtf8("plan.html.ftlh", docs));
    b.add("plan.json", PlanJson.of(plan));
    b.add("README.md", Templates.renderUtf8("README.md.ftl", docs));
    b.add("SHA256SUMS", Checksums.of(b));
    return b;
  }

  /**
   * Starts building JAXB's context and FreeMarker's configuration and templates on another core
   * while the caller loads, checks and plans the manifest: on a cold start both are mostly class
   * loading and set-up, and the emitters would otherwise wait for them after planning. The
   * emitters' own lazy initialisation is thread-safe, so this is only a head start.
   */
  public static void prepareInBackground() {
    Thread t = new Thread(() -> {
      try {
        DomainXmlEmitter.prepare();
        Templates.prepare(List.of("runbook.sh.ftl", "plan.md.ftl", "README.md.ftl", "grub-dropin.cfg.ftl",
            "rtc-resctrl.service.ftl", "rtc-stress.sh.ftl", "plan.html.ftlh"));
      } catch (RuntimeException e) {
        // Only a head start: the emitter reports any failure itself when it runs.
      }
    }, "rtc-prepare");
    t.setDaemon(true);
    t.start();
  }

  /** The plan for a terminal ({@code rtc explain}): the same model and content as plan.md. */
  public static String explain(Plan plan) {
    return Templates.render("explain.txt.ftl", PlanModel.of(plan, header(plan)));
  }

  /** One line saying what made the file, and from what; no time, so output stays byte-stable. */
  static String header(Plan plan) {
    return "Generated by rtc " + Version.get() + " from " + plan.name() + " (manifest sha256 "
        + plan.manifest().sha256().substring(0, 16) + "); do not edit, change the manifest and compile again.";
  }

  private static String grubDropIn(String header, String who, KernelCmdline cmdline, Distro distro) {
    Map<String, Object> m = new HashMap<>();
    m.put("header", header);
    m.put("who", who);
    m.put("args", cmdline.toString());
    m.put("keys", String.join(" ", cmdline.keys()));
    m.put("grubUpdate", String.join(" ", distro.grubUpdate()));
    return Templates.render("grub-dropin.cfg.ftl", m);
  }
}
