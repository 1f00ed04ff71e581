package dev.rtc.emit;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.plan.Plan;
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

  private MonitoringEmitter() {}

  static List<Bundle.Artifact> rules(Plan plan, String header) {
    String b = "bundle=" + promqlString(plan.name());
    ObjectNode root = N.objectNode();
    ObjectNode group = root.putArray("groups").addObject();
    group.put("name", "rtc-" + plan.name());
    ArrayNode rules = group.putArray("rules");
    alert(rules, "RtcHostDiffersFromPlan", "rtc_check_failures{" + b + "} > 0", FOR_DRIFT, "critical",
        "{{ $labels.instance }}: {{ $labels.check }} differs from the plan of " + plan.name(),
        "{{ $value }} of the checks of {{ $labels.check }} fail on {{ $labels.instance }}: the host is no longer as planned and its "
            + "latency no longer proven. Run ./runbook.sh check-host on it; rtc's docs/runbook-checks.md says what each check reads and "
            + "how to fix it.");
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
    return List.of(Emitters.text("monitoring/rtc-" + plan.name() + ".rules.yml", "# " + header + "\n" + TreeWriter.yaml(root)));
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
