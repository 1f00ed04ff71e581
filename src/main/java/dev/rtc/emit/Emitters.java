package dev.rtc.emit;

import dev.rtc.io.Version;
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

  /** The runbook's steps, beside runbook.sh in every bundle. */
  public static final String RUNBOOK_STEPS = "runbook-steps.sh";

  /**
   * templates/runbook/, by subject, in this order: the runbook's steps are their concatenation
   * (RunbookStepsTest holds this list to the folder).
   */
  public static final List<String> RUNBOOK_PARTS = List.of("00-core.sh", "05-checks.sh", "10-identity.sh", "20-kernel.sh", "30-tuning.sh", "40-boot-units.sh", "50-devices.sh",
      "60-images.sh", "65-vms.sh", "70-benchmark.sh", "80-evidence.sh", "90-steps.sh");

  private Emitters() {}

  /** The runbook's steps: the parts in order, as they are, each parted from the next by a blank line. */
  static byte[] runbookSteps() {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < RUNBOOK_PARTS.size(); i++) {
      if (i > 0) {
        out.write('\n');
      }
      out.writeBytes(Templates.verbatim("runbook/" + RUNBOOK_PARTS.get(i)));
    }
    return out.toByteArray();
  }

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
    return emit(plan, plan.vms().size() >= PARALLEL_VMS);
  }

  /** {@link #emit(Plan)} on one thread or several: the same bytes either way. */
  static Bundle emit(Plan plan, boolean parallel) {
    String header = header(plan);
    Bundle b = new Bundle();
    Distro hostDistro = Distro.of(plan.os());
    if (!hostDistro.grubby()) {
      b.add("host/grub/99-rtc.cfg", grubDropIn(header, "host " + plan.name(), plan.host().cmdline(), hostDistro, plan.host().kernel()));
    }
    b.add("host/tuned/" + plan.host().tuning().profile() + "/tuned.conf", tunedProfile(header, "the host " + plan.name(), plan.host().tuning()));
    b.add("host/libvirt/networks/default.xml", DomainXmlEmitter.network(Network.defaultNat(), header));
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
      Map<String, Object> unit = new HashMap<>(resctrlMount(cache));
      unit.put("header", header);
      unit.put("bundle", plan.name());
      unit.put("summary", "host keeps L" + cache.level() + " " + cache.hostMasks().values().iterator().next().describe()
          + (groups.isEmpty() ? "" : ", " + groups.size() + " real-time group" + (groups.size() == 1 ? "" : "s")));
      unit.put("groups", groups);
      b.add("host/systemd/rtc-resctrl.service", Templates.renderUtf8("rtc-resctrl.service.ftl", unit));
    });
    if (!plan.host().hugepagesByUnit().isEmpty()) {
      List<Map<String, Object>> pools = new java.util.ArrayList<>();
      plan.host().hugepagesByUnit().forEach((size, nodes) -> nodes.forEach((node, pages) -> pools.add(Map.of("node", node, "pages", pages,
          "size", new dev.rtc.topology.ByteSize(size).exact(),
          "file", "/sys/devices/system/node/node" + node + "/hugepages/hugepages-" + (size / 1024) + "kB/nr_hugepages"))));
      b.add("host/systemd/rtc-hugepages.service", Templates.renderUtf8("rtc-hugepages.service.ftl", Map.of("header", header,
          "bundle", plan.name(), "kernel", plan.host().kernel().series() + ", " + plan.os().id(), "pools", pools)));
    }
    List<Map<String, Object>> pfs = sriovFunctions(plan);
    if (!pfs.isEmpty()) {
      b.add("host/systemd/rtc-sriov.service", Templates.renderUtf8("rtc-sriov.service.ftl", Map.of("header", header, "bundle", plan.name(),
          "pfs", pfs)));
    }
    b.add("host/systemd/rtc-vms.service", Templates.renderUtf8("rtc-vms.service.ftl", Map.of("header", header, "bundle", plan.name(),
        "vms", plan.vms().stream().map(VmPlan::name).toList(), "sriov", !pfs.isEmpty())));
    // The bundle's documents and the files of each VM are made apart from one another: on a large
    // host on several threads, then added in one fixed order, so the bytes never depend on which
    // thread finished first. The documents, the longest pieces, are started first, so that no
    // thread is left with one of them at the end while the others idle.
    List<java.util.function.Supplier<List<Bundle.Artifact>>> documents = List.of(
        () -> List.of(new Bundle.Artifact("runbook.sh", Templates.renderUtf8("runbook.sh.ftl", RunbookModel.of(plan, header)), true),
            // The steps, which runbook.sh sources: the same bytes in every bundle of this rtc, so a
            // change to them shows once in golden/, and the plan's own file shows only the plan.
            text(RUNBOOK_STEPS, runbookSteps())),
        () -> {
          Map<String, Object> docs = PlanModel.of(plan, header);
          return List.of(text("plan.md", Templates.renderUtf8("plan.md.ftl", docs)), text("plan.html", Templates.renderUtf8("plan.html.ftlh", docs)),
              text("README.md", Templates.renderUtf8("README.md.ftl", docs)));
        },
        () -> List.of(text("plan.json", PlanJson.of(plan))));
    if (!parallel) {
      documents.forEach(d -> d.get().forEach(b::add));
      plan.vms().forEach(vm -> vmFiles(plan, vm, header).forEach(b::add));
    } else {
      List<java.util.concurrent.ForkJoinTask<List<Bundle.Artifact>>> started = documents.stream()
          .map(d -> java.util.concurrent.ForkJoinTask.adapt(d::get).fork()).toList();
      plan.vms().parallelStream().map(vm -> vmFiles(plan, vm, header)).toList().forEach(files -> files.forEach(b::add));
      started.forEach(t -> t.join().forEach(b::add));
    }
    b.add("SHA256SUMS", Checksums.of(b));
    return b;
  }

  /**
   * VMs from which {@link #emit} makes the files on several threads (the common fork-join pool):
   * below it, starting the pool costs more than it saves. A 256-VM bundle, cold, on 2 CPUs:
   * 0.65 s of emitting on one thread, 0.51 s on two (the JIT compiler shares the CPUs).
   */
  static final int PARALLEL_VMS = 16;

  /** One VM's files, {@code vms/<vm>/...}: a pure function of the plan, safe on any thread. */
  private static List<Bundle.Artifact> vmFiles(Plan plan, VmPlan vm, String header) {
    List<Bundle.Artifact> files = new java.util.ArrayList<>();
    String dir = "vms/" + vm.name() + "/";
    Distro guestDistro = Distro.of(vm.os());
    String dropIn = guestDistro.grubby() ? null
        : vm.guestCmdline().map(c -> grubDropIn(header, "guest " + vm.name(), c, guestDistro, vm.kernel().orElseThrow())).orElse(null);
    String stress = vm.isRealtime() ? null : Templates.render("rtc-stress.sh.ftl", Map.of("header", header, "vm", vm.name(),
        "workload", vm.workload().map(w -> w.id()).orElse("kernel-build")));
    String tuned = vm.tuning().map(t -> tunedProfile(header, "the real-time VM " + vm.name(), t)).orElse(null);
    if (dropIn != null) {
      files.add(text(dir + "grub/99-rtc.cfg", dropIn));
    }
    if (tuned != null) {
      files.add(text(dir + "tuned/" + vm.tuning().get().profile() + "/tuned.conf", tuned));
    }
    if (stress != null) {
      files.add(new Bundle.Artifact(dir + "rtc-stress.sh", stress.getBytes(java.nio.charset.StandardCharsets.UTF_8), true));
    }
    String userData = CloudInitEmitter.userData(vm, plan.site(), header, new CloudInitEmitter.GuestFiles(dropIn, stress, tuned));
    // The password hash and any proxy credentials: the owner's alone, whatever the umask.
    files.add(new Bundle.Artifact(dir + "user-data", userData.getBytes(java.nio.charset.StandardCharsets.UTF_8), Bundle.Mode.SECRET));
    files.add(text(dir + "meta-data", CloudInitEmitter.metaData(vm, header, userData)));
    files.add(text(dir + "domain.xml", DomainXmlEmitter.emit(plan, vm, header)));
    return files;
  }

  private static Bundle.Artifact text(String path, String text) {
    return text(path, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static Bundle.Artifact text(String path, byte[] utf8) {
    return new Bundle.Artifact(path, utf8, false);
  }

  /** The physical functions whose VFs rtc-sriov.service makes: address, count, and the sysfs file it writes. */
  static List<Map<String, Object>> sriovFunctions(Plan plan) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    plan.virtualFunctions().forEach((a, n) -> out.add(Map.of("address", a.toString(), "count", n, "file",
        "/sys/bus/pci/devices/" + a + "/sriov_numvfs")));
    return out;
  }

  /**
   * How rtc-resctrl.service mounts resctrl: with {@code -o cdp} (L3) or {@code -o cdpl2} (L2) when
   * the plan has code and data masks, without when it has one mask per group, and refusing a mount
   * that does not match, since every line it writes would fail.
   */
  private static Map<String, Object> resctrlMount(Plan.CachePlan cache) {
    String option = cache.level() == 2 ? "cdpl2" : "cdp";
    String has = "grep -Eq \"^resctrl /sys/fs/resctrl resctrl ([^ ]*,)?" + option + "(,| )\" /proc/mounts";
    return Map.of("mountCheck", cache.cdp() ? has : "! " + has,
        "mountArgs", cache.cdp() ? "-o " + option + " " : "",
        "mountWrong", cache.cdp() ? "without " + option : "with " + option,
        "mountWhat", cache.cdp() ? "-o " + option + ", code/data prioritization: CODE and DATA lines" : "without " + option
            + ": one line per resource");
  }

  private static String tunedProfile(String header, String who, dev.rtc.plan.TuningPlan t) {
    return Templates.render("tuned.conf.ftl", Map.of("header", header, "who", who, "profile", t.profile(), "include", t.include(),
        "isolated", t.isolated().toString(), "psBlacklist", t.psBlacklist(), "netChannels", t.netChannels()));
  }

  /**
   * Starts building JAXB's context and FreeMarker's configuration and templates on another core
   * while the caller loads, checks and plans the manifest: on a cold start both are mostly class
   * loading and set-up, and the emitters would otherwise wait for them after planning. The
   * emitters' own lazy initialisation is thread-safe, so this is only a head start. Once per
   * process: later calls do nothing.
   */
  public static void prepareInBackground() {
    if (!PREPARING.compareAndSet(false, true)) {
      return;
    }
    Thread t = new Thread(() -> {
      try {
        DomainXmlEmitter.prepare();
        Templates.prepare(List.of("runbook.sh.ftl", "plan.md.ftl", "README.md.ftl", "grub-dropin.cfg.ftl",
            "rtc-resctrl.service.ftl", "rtc-stress.sh.ftl", "plan.html.ftlh", "tuned.conf.ftl", "rtc-vms.service.ftl"));
      } catch (RuntimeException e) {
        // Only a head start: the emitter reports any failure itself when it runs.
      }
    }, "rtc-prepare");
    t.setDaemon(true);
    t.start();
  }

  private static final java.util.concurrent.atomic.AtomicBoolean PREPARING = new java.util.concurrent.atomic.AtomicBoolean();

  /** The plan for a terminal ({@code rtc explain}): the same model and content as plan.md. */
  public static String explain(Plan plan) {
    return Templates.render("explain.txt.ftl", PlanModel.of(plan, header(plan)));
  }

  /** One line saying what made the file, and from what; no time, so output stays byte-stable. */
  static String header(Plan plan) {
    return "Generated by rtc " + Version.get() + " from " + plan.name() + " (manifest sha256 "
        + plan.manifestSha256().substring(0, 16) + "); do not edit, change the manifest and compile again.";
  }

  private static String grubDropIn(String header, String who, KernelCmdline cmdline, Distro distro, dev.rtc.plan.KernelPlan kernel) {
    Map<String, Object> m = new HashMap<>();
    m.put("header", header);
    m.put("who", who);
    m.put("args", cmdline.toString());
    m.put("keys", String.join(" ", cmdline.keys()));
    m.put("grubUpdate", String.join(" ", distro.grubUpdate()));
    m.put("rtDefault", kernel.isRealtime());
    m.put("kernel", kernel.name());
    return Templates.render("grub-dropin.cfg.ftl", m);
  }
}
