package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.plan.Distro;
import dev.rtc.plan.MonitorPlan;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.topology.CpuSet;
import java.math.BigDecimal;
import java.util.List;

/**
 * Prometheus alerting rules for the metrics {@code runbook.sh metrics} writes: one group per
 * bundle, every expression held to this bundle's label. Built as a tree and written by the YAML
 * emitter; the bundle's name reaches PromQL only as an escaped string literal.
 */
final class MonitoringEmitter {

  private static final JsonNodeFactory N = JsonNodeFactory.instance;

  /** How long a difference must last before it pages: a TuneD restart or a reboot in progress is not one. */
  static final String FOR_DRIFT = "10m";
  /** runbook.sh metrics runs every few minutes; three times that without a sample is a stopped monitor. */
  static final int STALE_SECONDS = 900;

  /** Where each real-time guest's sampler keeps its state, histogram and days. */
  static final String GUEST_DIR = "/var/lib/rtc/monitor";
  static final String GUEST_SCRIPT = "/usr/local/sbin/rtc-monitor";

  private MonitoringEmitter() {}

  /** The host's metrics timer and the service it runs: installed by the host step, removed by rollback. */
  static List<Bundle.Artifact> hostUnits(Plan plan, String header) {
    var unit = new TemplateModels.MetricsUnit(header, plan.name(), plan.host().housekeeping().toString(),
        Distro.of(plan.os()).textfileDir(), MonitorPlan.HOST_EVERY_SECONDS, "4min");
    return List.of(Emitters.text("host/systemd/rtc-metrics.service", Templates.renderUtf8("rtc-metrics.service.ftl", unit)),
        Emitters.text("host/systemd/rtc-metrics.timer", Templates.renderUtf8("rtc-metrics.timer.ftl", unit)));
  }

  /** A real-time guest's sampler: its script, service and timer, as cloud-init installs them. */
  record GuestMonitor(String script, String service, String timer) {}

  static GuestMonitor guest(Plan plan, VmPlan vm, String header) {
    MonitorPlan m = MonitorPlan.of(plan);
    CpuSet all = CpuSet.range(0, vm.vcpus() - 1);
    CpuSet housekeeping = all.minus(vm.rtVcpus());
    var model = new TemplateModels.MonitorScript(header, vm.name(), plan.name(), vm.rtVcpus().toString(), vm.rtVcpus().size(),
        housekeeping.first(), housekeeping.toString(), MonitorPlan.WINDOW_SECONDS, MonitorPlan.EVERY_SECONDS, MonitorPlan.INTERVAL_US,
        MonitorPlan.PRIORITY, m.histogramUs(), m.bucketsUs().stream().map(us -> new TemplateModels.Bound(us, seconds(us))).toList(),
        MonitorPlan.KEEP_DAYS, GUEST_DIR);
    return new GuestMonitor(Templates.render("rtc-monitor.sh.ftl", model), Templates.render("rtc-monitor.service.ftl", model),
        Templates.render("rtc-monitor.timer.ftl", model));
  }

  /** Microseconds as Prometheus writes seconds in {@code le}: plain decimal, no trailing zeros. */
  static String seconds(long us) {
    return BigDecimal.valueOf(us, 6).stripTrailingZeros().toPlainString();
  }

  static List<Bundle.Artifact> rules(Plan plan, String header) {
    String b = "bundle=" + promqlString(plan.name());
    ObjectNode root = N.objectNode();
    ObjectNode group = root.putArray("groups").addObject();
    group.put("name", "rtc-" + plan.name());
    ArrayNode rules = group.putArray("rules");
    alert(rules, "RtcHostDiffersFromPlan", "rtc_check_failures{" + b + "} > 0", FOR_DRIFT, "critical",
        "{{ $labels.instance }}: {{ $labels.check }} differs from the plan of " + plan.name(),
        "{{ $value }} of the checks of {{ $labels.check }} fail on {{ $labels.instance }}: the host (or, with a vm label, that "
            + "real-time guest) is no longer as planned and its latency no longer proven. Run ./runbook.sh check-host (a guest: "
            + "./runbook.sh verify) on it; rtc's docs/runbook-checks.md says what each check reads and how to fix it.");
    alert(rules, "RtcNotRunningAsPlanned", "rtc_running_as_planned{" + b + "} == 0", FOR_DRIFT, "critical",
        "{{ $labels.instance }} does not run the planned kernel and command line of " + plan.name(),
        "A kernel upgrade, a boot into another entry or a changed command line: run ./runbook.sh check-host, then ./runbook.sh host "
            + "and reboot to return to the plan.");
    alert(rules, "RtcBundleChanged", "count by (instance, bundle) (count_over_time(rtc_info{" + b + "}[1h])) > 1", null, "info",
        "{{ $labels.instance }}: the bundle applied for " + plan.name() + " changed in the last hour",
        "The digest of the bundle's files changed: a new bundle was applied. Its qualification and benchmark prove the host again: "
            + "./runbook.sh qualify and bench.");
    alert(rules, "RtcMonitorSilent", "time() - max by (instance, bundle) (rtc_metrics_timestamp_seconds{" + b + "}) > " + STALE_SECONDS,
        "5m", "warning", "{{ $labels.instance }}: no rtc metrics for " + plan.name() + " for over " + STALE_SECONDS / 60 + " minutes",
        "runbook.sh metrics has stopped writing its textfile: is its timer (or cron entry) still there?");
    alert(rules, "RtcInterruptsOnIsolatedCpu", "rate(rtc_isolated_device_interrupts_total{" + b + "}[10m]) > 0.1", "15m", "warning",
        "{{ $labels.instance }}: device interrupts on isolated CPU {{ $labels.cpu }} (" + plan.name() + ")",
        "{{ $value | humanize }} device interrupts a second land on a CPU the plan isolates: each one is latency for the real-time "
            + "VM pinned there. /proc/interrupts names the device; move its smp_affinity_list to the housekeeping CPUs "
            + plan.host().housekeeping() + ".");
    alert(rules, "RtcSmiRate", "rate(rtc_smi_total{" + b + "}[15m]) > 0.5", "15m", "warning",
        "{{ $labels.instance }}: the firmware takes {{ $value | humanize }} SMIs a second (" + plan.name() + ")",
        "System management interrupts stop every CPU, the isolated ones too, for as long as the firmware needs. A firmware update or "
            + "a BIOS setting (USB legacy, power management) brought them: compare with the host's qualification record.");
    latency(rules, plan, b);
    return List.of(Emitters.text("monitoring/rtc-" + plan.name() + ".rules.yml", "# " + header + "\n" + TreeWriter.yaml(root)));
  }

  /**
   * The real-time guests' sampled latency against the plan's thresholds (when the manifest has a
   * benchmark), and the sampler itself.
   */
  private static void latency(ArrayNode rules, Plan plan, String b) {
    MonitorPlan m = MonitorPlan.of(plan);
    if (m.goodUs() > 0) {
      alert(rules, "RtcLatencyOverBudget", "max by (instance, bundle, vm) (rtc_latency_window_max_seconds{" + b + "}) > " + seconds(m.goodUs()),
          null, "critical", "{{ $labels.instance }}: VM {{ $labels.vm }} woke " + "{{ $value | humanizeDuration }} late, over the "
              + m.goodUs() + " us budget of " + plan.name(),
          "A sampling window measured a latency the benchmark would judge FAIL. Once is an incident: read the VM's spikes with "
              + "./runbook.sh bench (its autopsy names the cause) and compare with the host's qualification and check-host.");
      alert(rules, "RtcLatencyBudgetBurn", "histogram_quantile(0.999, sum by (instance, bundle, vm, le) (rate(rtc_latency_seconds_bucket{" + b
          + "}[6h]))) > " + seconds(m.greatUs()), "30m", "warning",
          "{{ $labels.instance }}: VM {{ $labels.vm }}'s 99.9th percentile latency is over " + m.greatUs() + " us (" + plan.name() + ")",
          "Over six hours, one wake-up in a thousand took {{ $value | humanizeDuration }} or more: the margin to the " + m.goodUs()
              + " us budget is going. Something changed on the host or in the guest: rtc_check_failures, SMIs and interrupts on the "
              + "isolated CPUs say what, and the long-term plot of rtc report says since when.");
    }
    alert(rules, "RtcLatencySamplerSilent", "time() - max by (instance, bundle, vm) (rtc_latency_sampled_timestamp_seconds{" + b + "}) > "
        + 3 * MonitorPlan.EVERY_SECONDS, "5m", "warning",
        "{{ $labels.instance }}: VM {{ $labels.vm }}'s latency sampler has measured nothing for over " + 3 * MonitorPlan.EVERY_SECONDS / 60
            + " minutes (" + plan.name() + ")",
        "rtc-monitor.timer in the guest no longer measures (stopped, failing, or skipped while another measure runs): ./runbook.sh "
            + "guest {{ $labels.vm }} systemctl status rtc-monitor.service rtc-monitor.timer.");
  }

  private static void alert(ArrayNode rules, String name, String expr, String forDuration, String severity, String summary,
      String description) {
    ObjectNode r = rules.addObject();
    r.put("alert", name);
    r.put("expr", expr);
    if (forDuration != null) {
      r.put("for", forDuration);
    }
    r.putObject("labels").put("severity", severity);
    ObjectNode a = r.putObject("annotations");
    a.put("summary", summary);
    a.put("description", description);
  }

  /** A PromQL string literal: double-quoted, its backslashes and quotes escaped. */
  static String promqlString(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
