package dev.rtc.emit;

import dev.rtc.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * The BIOS settings of Intel's guide ("Host Configuration: BIOS", shared/reference), as a
 * checklist for the technician, made consistent with the plan: Hyper-Threading stays on when the
 * plan uses SMT siblings (the guide turns it off), and SR-IOV is on when VMs get virtual functions.
 */
final class BiosChecklist {

  private BiosChecklist() {}

  /** One row: the setting, the option to choose, the guide's menu path, and why when rtc departs from the guide. */
  public record Row(String setting, String option, String menu, String note) {}

  static List<Row> of(Plan plan) {
    boolean smt = plan.topology().smt();
    boolean vfs = plan.vms().stream().anyMatch(v -> v.devices().stream().anyMatch(Plan.Passed::isVf));
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("Hyper-Threading", smt ? "Enabled" : "Disabled", "Intel Advanced Menu → CPU Configuration", smt
        ? "the guide disables it; this manifest's host has 2 threads per core and the plan is made for them (preflight refuses a host "
        + "without): leave it on, or turn it off and probe and compile again" : ""));
    rows.add(new Row("Intel (VMX) Virtualization", "Enabled", "Intel Advanced Menu → CPU Configuration", ""));
    rows.add(new Row("Intel(R) SpeedStep", "Disabled", "Intel Advanced Menu → Power & Performance → CPU - Power Management Control", ""));
    rows.add(new Row("Turbo Mode", "Disabled", "Intel Advanced Menu → Power & Performance → CPU - Power Management Control", ""));
    rows.add(new Row("C States", "Disabled", "Intel Advanced Menu → Power & Performance → CPU - Power Management Control", ""));
    rows.add(new Row("RC6 (Render Standby)", "Disabled", "Intel Advanced Menu → Power & Performance → GT - Power Management Control", ""));
    rows.add(new Row("Maximum GT freq", "Lowest (usually 100MHz)", "Intel Advanced Menu → Power & Performance → GT - Power Management Control",
        ""));
    rows.add(new Row("SA GV", "Fixed High", "Intel Advanced Menu → Memory Configuration", ""));
    rows.add(new Row("VT-d", "Enabled", "Intel Advanced Menu → System Agent (SA) Configuration", hasDevices(plan)
        ? "VMs of this plan are given host devices: without VT-d there is no IOMMU and check-host fails" : ""));
    rows.add(new Row("PCI Express Clock Gating", "Disabled", "Intel Advanced Menu → System Agent (SA) Configuration → PCI Express Configuration",
        ""));
    rows.add(new Row("Gfx Low Power Mode", "Disabled", "Intel Advanced Menu → System Agent (SA) Configuration → Graphics Configuration", ""));
    rows.add(new Row("ACPI S3 Support", "Disabled", "Intel Advanced Menu → ACPI Settings", ""));
    rows.add(new Row("Native ASPM", "Disabled", "Intel Advanced Menu → ACPI Settings", ""));
    rows.add(new Row("Legacy IO Low Latency", "Enabled", "Intel Advanced Menu → PCH-IO Configuration", ""));
    rows.add(new Row("PCH Cross Throttling", "Disabled", "Intel Advanced Menu → PCH-IO Configuration", ""));
    rows.add(new Row("Delay Enable DMI ASPM", "Disabled", "Intel Advanced Menu → PCH-IO Configuration → PCI Express Configuration", ""));
    rows.add(new Row("DMI Link ASPM", "Disabled", "Intel Advanced Menu → PCH-IO Configuration → PCI Express Configuration", ""));
    rows.add(new Row("Aggressive LPM Support", "Disabled", "Intel Advanced Menu → PCH-IO Configuration → SATA And RST Configuration", ""));
    rows.add(new Row("USB Periodic SMI", "Disabled", "Intel Advanced Menu → LEGACY USB Configuration", ""));
    if (vfs) {
      rows.add(new Row("SR-IOV Support", "Enabled", "the platform's PCI or PCIe menu (its name differs by vendor)",
          "not in the guide's table: VMs of this plan get SR-IOV virtual functions"));
    }
    return List.copyOf(rows);
  }

  private static boolean hasDevices(Plan plan) {
    return plan.vms().stream().anyMatch(v -> !v.devices().isEmpty());
  }
}
