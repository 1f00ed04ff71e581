package dev.rtc.emit;

import dev.rtc.manifest.Topology.CoreType;
import dev.rtc.plan.Plan;
import dev.rtc.plan.Plan.VmPlan;
import dev.rtc.plan.TuningPlan;
import dev.rtc.topology.ByteSize;
import java.util.ArrayList;
import java.util.List;

/**
 * The runbook's checks as data: one row for each value the plan fixes and a step reads back on
 * the host or in a guest, laid out as runbook.sh's CHECKS and read by one engine in the steps
 * ({@code check_rows} in templates/runbook/05-checks.sh). What a value means on sysfs (which file,
 * in which form) is decided here, from the plan, once; the runbook only reads and compares.
 */
final class RunbookChecks {

  /**
   * One check: where it runs (host or a VM's name), its catalogue ID, what to read, how to compare,
   * the planned value, what it checks in words, and what to do when it differs.
   */
  record Row(String scope, RunbookCheck id, String read, String compare, String planned, String what, String fix) {
    Row {
      for (String field : List.of(scope, read, compare, planned, what, fix)) {
        if (field.contains("|") || field.contains("\n")) {
          throw new IllegalStateException("a check's field holds its separator: " + field);
        }
      }
    }

    @Override
    public String toString() {
      return String.join("|", scope, id.id(), read, compare, planned, what, fix);
    }
  }

  private RunbookChecks() {}

  static List<String> rows(Plan plan) {
    List<Row> rows = new ArrayList<>();
    identity(plan, rows);
    host(plan, rows);
    for (VmPlan vm : plan.vms()) {
      vm.tuning().ifPresent(t -> tuning(vm.name(), t.checks(false), rows));
    }
    return rows.stream().map(Row::toString).toList();
  }

  /** Is this the manifest's host? The table every step that changes the host shows first. */
  private static void identity(Plan plan, List<Row> rows) {
    var t = plan.topology();
    rows.add(host(RunbookCheck.TOPOLOGY_OS, "os-release", "os", RunbookModel.osId(plan.os()) + " " + RunbookModel.osVersion(plan.os()),
        "operating system"));
    rows.add(host(RunbookCheck.TOPOLOGY_CPUS, "/sys/devices/system/cpu/online", "cpus", t.allCpus().toString(), "online CPUs"));
    for (var n : t.numaNodes()) {
      rows.add(host(RunbookCheck.TOPOLOGY_NODE_CPUS, "/sys/devices/system/node/node" + n.id() + "/cpulist", "cpus", n.cpus().toString(),
          "NUMA node " + n.id() + " CPUs"));
    }
    rows.add(host(RunbookCheck.TOPOLOGY_SMT, "siblings", "equal", String.valueOf(t.threadsPerCore()), "threads per core (SMT)"));
    // As sysfs prints cache/index3/size: KiB with a K.
    t.l3().ifPresent(l -> rows.add(host(RunbookCheck.TOPOLOGY_L3_SIZE, "/sys/devices/system/cpu/cpu0/cache/index3/size", "equal",
        (l.size().bytes() / 1024) + "K", "L3 size per instance")));
    // On parts with L2 CAT only, the L2 the plan divides; sysfs prints cpu0's.
    t.catLevel().filter(c -> c.level() == 2).ifPresent(l -> rows.add(host(RunbookCheck.TOPOLOGY_L2_SIZE,
        "/sys/devices/system/cpu/cpu0/cache/index2/size", "equal", (l.size().bytes() / 1024) + "K", "L2 size per instance")));
    if (t.hybrid()) {
      // Hybrid parts: the kernel lists P-cores in cpu_core, E-cores (low-power ones too) in cpu_atom.
      rows.add(host(RunbookCheck.TOPOLOGY_P_CORES, "/sys/devices/cpu_core/cpus", "cpus", t.cpusOfType(CoreType.P).toString(),
          "P-core CPUs (cpu_core)"));
      rows.add(host(RunbookCheck.TOPOLOGY_E_CORES, "/sys/devices/cpu_atom/cpus", "cpus",
          t.cpusOfType(CoreType.E).union(t.cpusOfType(CoreType.LPE)).toString(), "E-core CPUs (cpu_atom)"));
    }
    // MB's CLOS can be the resctrl limit (ClosBudget), so a host with fewer than planned is not this one.
    t.mba().ifPresent(mb -> mb.closids().ifPresent(n -> rows.add(host(RunbookCheck.RESCTRL_INFO_MB_CLOSIDS,
        "/sys/fs/resctrl/info/MB/num_closids", "equal", String.valueOf(n), "resctrl MB num_closids"))));
    plan.cache().ifPresent(c -> {
      String info = c.resources().get(0);
      String dir = "/sys/fs/resctrl/info/" + info;
      rows.add(host(RunbookCheck.RESCTRL_INFO_CAT, "dir:" + dir, "equal", "yes", "resctrl " + info + " (CAT) available"));
      rows.add(host(RunbookCheck.RESCTRL_INFO_CBM_MASK, dir + "/cbm_mask", "hex", Integer.toHexString(c.cbmMask().bits()),
          "resctrl " + info + " cbm_mask"));
      rows.add(host(RunbookCheck.RESCTRL_INFO_MIN_CBM_BITS, dir + "/min_cbm_bits", "equal", String.valueOf(c.minCbmBits()),
          "resctrl " + info + " min_cbm_bits"));
      // info/L3CODE/num_closids is already halved.
      rows.add(host(RunbookCheck.RESCTRL_INFO_NUM_CLOSIDS, dir + "/num_closids", "equal", String.valueOf(c.usableClosids()),
          "resctrl " + info + " num_closids"));
      // A fresh host: resctrl is mounted at the next boot. Until then the CPU's flags say whether
      // the cache allocation the plan needs is there at all.
      String flag = c.level() == 2 ? "cat_l2" : "cat_l3";
      rows.add(host(RunbookCheck.CPU_CAT, "flag:" + flag, "equal", "yes", "CPU flag " + flag + " (cache alloc.)"));
      if (c.cdp()) {
        String cdp = c.level() == 2 ? "cdp_l2" : "cdp_l3";
        rows.add(host(RunbookCheck.CPU_CDP, "flag:" + cdp, "equal", "yes", "CPU flag " + cdp + " (code/data)"));
      }
    });
  }

  /** What check-host reads back after the reboot: resctrl's groups, hugepages, the tuning. */
  private static void host(Plan plan, List<Row> rows) {
    plan.cache().ifPresent(c -> {
      String lines = String.join(" ", c.schemataLines(c.hostMasks()));
      rows.add(new Row("host", RunbookCheck.RESCTRL_DEFAULT_GROUP, "schemata:/sys/fs/resctrl/schemata", "schemata", lines,
          "resctrl default group " + lines, "systemctl status rtc-resctrl"));
      if (c.rtcOwned()) {
        for (VmPlan vm : plan.vms()) {
          if (vm.resctrl().isPresent()) {
            String group = Plan.rtcGroup(vm.name());
            String cpus = plan.rtHostCpus(vm).toString();
            rows.add(new Row("host", RunbookCheck.RESCTRL_GROUP_CPUS, "/sys/fs/resctrl/" + group + "/cpus_list", "cpus", cpus,
                "resctrl group " + group + " on CPUs " + cpus, "systemctl status rtc-resctrl"));
          }
        }
      }
    });
    // Read back per node whichever way they are reserved: the command line's form or the boot unit.
    plan.host().hugepages().forEach((size, nodes) -> nodes.forEach((node, pages) -> {
      boolean byUnit = plan.host().hugepagesByUnit().getOrDefault(size, java.util.Collections.emptySortedMap()).containsKey(node);
      rows.add(new Row("host", RunbookCheck.MEMORY_HUGEPAGES,
          "/sys/devices/system/node/node" + node + "/hugepages/hugepages-" + (size / 1024) + "kB/nr_hugepages", "at-least",
          String.valueOf(pages), pages + " hugepages of " + new ByteSize(size).exact() + " on node " + node,
          byUnit ? "systemctl status rtc-hugepages"
              : "the command line's hugepages= did not reserve them: cat /proc/cmdline; the node may lack the memory: grep Huge "
                  + "/sys/devices/system/node/node*/meminfo"));
    }));
    tuning("host", plan.host().tuning().checks(true), rows);
  }

  /** The tuning TuneD applies, read back: on the host directly, in a guest through its agent. */
  private static void tuning(String scope, List<TuningPlan.Check> checks, List<Row> rows) {
    for (TuningPlan.Check c : checks) {
      rows.add(new Row(scope, RunbookCheck.TUNING_VALUE, c.path(), c.kind(), c.expected(), c.what(), ""));
    }
  }

  private static Row host(RunbookCheck id, String read, String compare, String planned, String what) {
    return new Row("host", id, read, compare, planned, what, "");
  }
}
