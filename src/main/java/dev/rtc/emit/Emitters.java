package dev.rtc.emit;

import dev.rtc.io.Version;
import dev.rtc.plan.Distro;
import dev.rtc.plan.KernelCmdline;
import dev.rtc.plan.Plan;
import java.util.List;

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
  public static final List<String> RUNBOOK_PARTS = List.of("00-core.sh", "05-checks.sh", "10-identity.sh", "20-kernel.sh", "30-tuning.sh", "40-boot-units.sh", "45-qualify.sh", "50-devices.sh",
      "60-images.sh", "65-vms.sh", "70-benchmark.sh", "75-autopsy.sh", "80-evidence.sh", "85-metrics.sh", "90-steps.sh");

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

  public static Bundle emit(Plan plan) {
    return emit(plan, plan.vms().size() >= PARALLEL_VMS);
  }

  /**
   * Every kind of artifact, each behind {@link Emitter}: the documents first (the longest pieces,
   * so that on several threads none is left running alone at the end), then the host's files, then
   * each VM's. The bundle sorts its files by path, so the order only decides the threads' work.
   */
  private static List<Emitter> kinds(boolean parallel) {
    return List.of(Emitters::runbook, PlanModel::documents, PlanJson::emit, HostEmitter::grub, HostEmitter::tuned,
        HostEmitter::networks, HostEmitter::resctrl, MonitoringEmitter::rules, MonitoringEmitter::hostUnits, DashboardEmitter::emit, HostEmitter::hugepages, HostEmitter::sriov, HostEmitter::vmsUnit,
        (plan, header) -> VmEmitter.all(plan, header, parallel));
  }

  /** {@link #emit(Plan)} on one thread or several: the same bytes either way. */
  static Bundle emit(Plan plan, boolean parallel) {
    String header = header(plan);
    Bundle b = new Bundle();
    List<Emitter> kinds = kinds(parallel);
    if (!parallel) {
      kinds.forEach(k -> k.emit(plan, header).forEach(b::add));
    } else {
      List<java.util.concurrent.ForkJoinTask<List<Bundle.Artifact>>> started = kinds.stream()
          .map(k -> java.util.concurrent.ForkJoinTask.adapt(() -> k.emit(plan, header)).fork()).toList();
      started.forEach(t -> t.join().forEach(b::add));
    }
    b.add("SHA256SUMS", Checksums.of(b));
    return b;
  }

  /** runbook.sh, the plan's values, and the steps it sources. */
  private static List<Bundle.Artifact> runbook(Plan plan, String header) {
    return List.of(new Bundle.Artifact("runbook.sh", Templates.renderUtf8("runbook.sh.ftl", RunbookModel.of(plan, header)), true),
        // The steps, which runbook.sh sources: the same bytes in every bundle of this rtc, so a
        // change to them shows once in golden/, and the plan's own file shows only the plan.
        text(RUNBOOK_STEPS, runbookSteps()));
  }

  /**
   * VMs from which {@link #emit} makes the files on several threads (the common fork-join pool):
   * below it, starting the pool costs more than it saves. A 256-VM bundle, cold, on 2 CPUs:
   * 0.65 s of emitting on one thread, 0.51 s on two (the JIT compiler shares the CPUs).
   */
  static final int PARALLEL_VMS = 16;

  static Bundle.Artifact text(String path, String text) {
    return text(path, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  static Bundle.Artifact text(String path, byte[] utf8) {
    return new Bundle.Artifact(path, utf8, false);
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

  /** A TuneD profile, the host's or a real-time guest's. */
  static String tunedProfile(String header, String who, dev.rtc.plan.TuningPlan t) {
    TemplateModels.Balanced balanced = t.power().filter(dev.rtc.plan.PowerPlan::balanced).map(p -> new TemplateModels.Balanced(
        p.free().toString(), p.held().toString(), dev.rtc.plan.TuningPlan.FREE_GOVERNOR, dev.rtc.plan.TuningPlan.FREE_EPP,
        dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US)).orElse(null);
    return Templates.render("tuned.conf.ftl", new TemplateModels.TunedProfile(header, who, t.profile(), t.include(), t.isolated().toString(),
        t.psBlacklist(), t.netChannels(), balanced));
  }

  /** A GRUB drop-in with rtc's kernel arguments, the host's or a guest's. */
  static String grubDropIn(String header, String who, KernelCmdline cmdline, Distro distro, dev.rtc.plan.KernelPlan kernel) {
    return Templates.render("grub-dropin.cfg.ftl", new TemplateModels.GrubDropIn(header, who, cmdline.toString(),
        String.join(" ", cmdline.keys()), String.join(" ", distro.grubUpdate()), kernel.isRealtime(), kernel.name()));
  }
}
