package dev.rtc.emit;

import dev.rtc.manifest.Topology;
import dev.rtc.plan.Plan;
import java.util.ArrayList;
import java.util.List;

/**
 * The BIOS settings for real-time work as a checklist for the technician, chosen by the class of
 * the platform the manifest describes and made consistent with the plan. Intel's guide gives one
 * table, its client reference board's (graphics power states, Intel reference-board menus); a
 * 2-socket Xeon has other knobs (HWP, uncore frequency, package C-states, sub-NUMA clustering,
 * patrol scrub) and no graphics, and a TCC-capable Atom sets most of them with one switch. Menus
 * differ by vendor, so each row says what to look for, not a path.
 *
 * <p>Under host.power: balanced the OS must be able to put CPUs to sleep and clock them down: C-states
 * and P-states stay on in the BIOS (under OS control, HWP native), and TuneD holds only the
 * real-time VMs' CPUs. What the OS cannot control per CPU stays off in both modes: C1E
 * auto-promotion (the hardware turns a CPU's C1 into C1E behind the OS), turbo (its clock depends on
 * what the other cores do), package C-states and uncore scaling (shared by every core).
 */
final class BiosChecklist {

  private BiosChecklist() {}

  /** Server (Xeon: several sockets, sub-NUMA clusters or many cores), client (Core), embedded (Atom-class). */
  enum PlatformClass {
    SERVER("server"), CLIENT("client"), EMBEDDED("embedded");

    final String word;

    PlatformClass(String word) {
      this.word = word;
    }
  }

  /** The class, and why rtc took the host for one, from its topology alone (the manifest has no CPU model). */
  record Platform(PlatformClass kind, String why) {}

  /** One row: the setting, the option to choose, where it usually is (what to look for), and why when rtc departs from the usual. */
  public record Row(String setting, String option, String menu, String note) {}

  static Platform platform(Plan plan) {
    var said = plan.platform();
    if (said.isPresent()) {
      return new Platform(PlatformClass.valueOf(said.get().name()), "host.platform says so");
    }
    Topology t = plan.topology();
    int cpus = t.allCpus().size();
    int cores = cpus / t.threadsPerCore();
    if (t.l3().isEmpty()) {
      return new Platform(PlatformClass.EMBEDDED, "no L3, cache allocation on L2: an Atom-class part");
    }
    long l3 = t.l3().get().size().bytes();
    if (t.sockets().size() > 1) {
      return new Platform(PlatformClass.SERVER, t.sockets().size() + " sockets");
    }
    if (t.numaNodes().size() > t.sockets().size()) {
      return new Platform(PlatformClass.SERVER, "sub-NUMA clustering (" + t.numaNodes().size() + " NUMA nodes on one socket)");
    }
    if (!t.hybrid() && cores >= 16) {
      return new Platform(PlatformClass.SERVER, cores + " cores of one kind on one socket");
    }
    if (!t.hybrid() && cores <= 4 && l3 < 8L << 20) {
      return new Platform(PlatformClass.EMBEDDED, cores + " cores and " + new dev.rtc.topology.ByteSize(l3).person() + " of L3: an Atom-class part");
    }
    return new Platform(PlatformClass.CLIENT, t.hybrid() ? "P-cores and E-cores: a hybrid Core part" : cores + " cores on one socket: a Core part");
  }

  static List<Row> of(Plan plan) {
    Topology t = plan.topology();
    boolean smt = t.smt();
    boolean vfs = plan.vms().stream().anyMatch(v -> v.devices().stream().anyMatch(Plan.Passed::isVf));
    PlatformClass kind = platform(plan).kind();
    List<Row> rows = new ArrayList<>();
    String cpuMenu = kind == PlatformClass.SERVER ? "Processor Configuration" : "CPU Configuration";
    rows.add(new Row("Hyper-Threading", smt ? "Enabled" : "Disabled", cpuMenu, smt
        ? "the guide disables it; this manifest's host has 2 threads per core and the plan is made for them (preflight refuses a host "
        + "without): leave it on, or turn it off and probe and compile again" : ""));
    rows.add(new Row("Intel Virtualization Technology (VT-x, VMX)", "Enabled", cpuMenu, ""));
    rows.add(new Row("Intel VT-d", "Enabled", kind == PlatformClass.SERVER ? "Integrated IO, or Virtualization" : "System Agent (SA) Configuration",
        hasDevices(plan) ? "VMs of this plan are given host devices: without VT-d there is no IOMMU and check-host fails" : ""));
    if (vfs) {
      rows.add(new Row("SR-IOV Support", "Enabled", "PCI or Integrated IO (its name differs by vendor)",
          "not in the guide's table: VMs of this plan get SR-IOV virtual functions"));
    }
    boolean balanced = plan.host().power().balanced();
    switch (kind) {
      case SERVER -> server(plan, rows, balanced);
      case CLIENT -> client(rows, balanced);
      case EMBEDDED -> embedded(t, rows, balanced);
    }
    return List.copyOf(rows);
  }

  /** A Xeon's power and RAS knobs: the names Intel's server BIOS references use, which most vendors keep. */
  private static void server(Plan plan, List<Row> rows, boolean balanced) {
    Topology t = plan.topology();
    rows.add(new Row("Enhanced Intel SpeedStep (EIST, P-states)", balanced ? "Enabled" : "Disabled", "Power Management → CPU P State Control",
        balanced ? BALANCED_CLOCK : ""));
    rows.add(new Row("Intel Turbo Boost", "Disabled", "Power Management → CPU P State Control", balanced ? TURBO : ""));
    rows.add(new Row("Energy Efficient Turbo", "Disabled", "Power Management → CPU P State Control", ""));
    rows.add(balanced ? new Row("Hardware P-States (HWP)", "Native Mode", "Power Management → Hardware PM State Control",
        "host.power: balanced: Linux's intel_pstate sets each CPU's clock, the real-time VMs' CPUs at full speed")
        : new Row("Hardware P-States (HWP)", "Disabled", "Power Management → Hardware PM State Control",
            "the CPU would pick its own clock, which qualify's frequency check sees moving"));
    rows.add(new Row("Package C State", "C0/C1 state", "Power Management → CPU C State Control", balanced
        ? "the real-time VMs' CPUs never let the package sleep anyway; the limit keeps its wake-up out of their latency" : ""));
    rows.add(new Row("C1E", "Disabled", "Power Management → CPU C State Control", balanced ? C1E : ""));
    rows.add(new Row("Processor C6 (Core C6)", balanced ? "Enabled" : "Disabled", "Power Management → CPU C State Control",
        balanced ? BALANCED_SLEEP : ""));
    rows.add(new Row("Uncore Frequency Scaling", "Disabled (uncore at its maximum)", "Power Management → Uncore Power Management",
        "a changing uncore clock changes cache and memory latency" + (balanced ? ", for every core at once" : "")));
    rows.add(new Row("Energy Performance Bias (Power Performance Tuning)", balanced ? "OS Controls EPB" : "Performance",
        "Power Management → Energy Perf BIAS", balanced ? "TuneD sets it per CPU: performance on the real-time VMs' CPUs, normal elsewhere" : ""));
    boolean snc = t.numaNodes().size() > t.sockets().size();
    rows.add(new Row("Sub-NUMA Clustering (SNC)", snc ? "Enabled (" + t.numaNodes().size() / t.sockets().size() + " clusters per socket)" : "Disabled",
        "Memory Configuration, or Uncore Configuration", "the plan is made for " + t.numaNodes().size() + " NUMA nodes on "
            + t.sockets().size() + (t.sockets().size() == 1 ? " socket" : " sockets") + ": set it so that Linux shows the same"));
    rows.add(new Row("Patrol Scrub", "Disabled", "Memory Configuration → Memory RAS Configuration",
        "a periodic memory scrub takes memory bandwidth at any moment; where the plant's RAS policy needs it, leave it on and watch "
            + "qualify's noise"));
    rows.add(new Row("PCIe ASPM (Active State Power Management)", "Disabled", "PCI Express, or Integrated IO", ""));
    rows.add(new Row("USB Legacy Support, or USB Periodic SMI", "Disabled", "USB Configuration",
        "the BIOS services legacy USB with SMIs, which stop every CPU"));
  }

  /** Intel's guide's table, made for its client reference board (Core with integrated graphics). */
  private static void client(List<Row> rows, boolean balanced) {
    rows.add(new Row("Intel(R) SpeedStep", balanced ? "Enabled" : "Disabled", "Power & Performance → CPU - Power Management Control",
        balanced ? BALANCED_CLOCK : ""));
    rows.add(new Row("Turbo Mode", "Disabled", "Power & Performance → CPU - Power Management Control", balanced ? TURBO : ""));
    rows.add(new Row("C States", balanced ? "Enabled" : "Disabled", "Power & Performance → CPU - Power Management Control",
        balanced ? BALANCED_SLEEP : ""));
    if (balanced) {
      rows.add(new Row("Enhanced C-states (C1E)", "Disabled", "Power & Performance → CPU - Power Management Control", C1E));
      rows.add(new Row("Package C State Limit", "C0/C1", "Power & Performance → CPU - Power Management Control",
          "the real-time VMs' CPUs never let the package sleep anyway; the limit keeps its wake-up out of their latency"));
    }
    rows.add(new Row("RC6 (Render Standby)", "Disabled", "Power & Performance → GT - Power Management Control", ""));
    rows.add(new Row("Maximum GT freq", "Lowest (usually 100MHz)", "Power & Performance → GT - Power Management Control", ""));
    rows.add(new Row("SA GV", "Fixed High", "Memory Configuration", ""));
    rows.add(new Row("PCI Express Clock Gating", "Disabled", "System Agent (SA) Configuration → PCI Express Configuration", ""));
    rows.add(new Row("Gfx Low Power Mode", "Disabled", "System Agent (SA) Configuration → Graphics Configuration", ""));
    rows.add(new Row("ACPI S3 Support", "Disabled", "ACPI Settings", ""));
    rows.add(new Row("Native ASPM", "Disabled", "ACPI Settings", ""));
    rows.add(new Row("Legacy IO Low Latency", "Enabled", "PCH-IO Configuration", ""));
    rows.add(new Row("PCH Cross Throttling", "Disabled", "PCH-IO Configuration", ""));
    rows.add(new Row("Delay Enable DMI ASPM", "Disabled", "PCH-IO Configuration → PCI Express Configuration", ""));
    rows.add(new Row("DMI Link ASPM", "Disabled", "PCH-IO Configuration → PCI Express Configuration", ""));
    rows.add(new Row("Aggressive LPM Support", "Disabled", "PCH-IO Configuration → SATA And RST Configuration", ""));
    rows.add(new Row("USB Periodic SMI", "Disabled", "LEGACY USB Configuration", ""));
  }

  /** An Atom-class part: TCC sets most at once where the BIOS has it; the rest as on a client, without graphics where there is none. */
  private static void embedded(Topology t, List<Row> rows, boolean balanced) {
    rows.add(new Row("Intel Time Coordinated Computing (TCC Mode)", "Enabled, where the BIOS has it", "Intel Time Coordinated Computing",
        "on TCC-capable Atoms it sets most of the rows below in one switch; set the rest as they say"
            + (balanced ? " (it turns C-states and SpeedStep off: turn them on again after it)" : "")));
    rows.add(new Row("Intel(R) SpeedStep", balanced ? "Enabled" : "Disabled", "CPU - Power Management Control", balanced ? BALANCED_CLOCK : ""));
    rows.add(new Row("Turbo Mode (Burst)", "Disabled", "CPU - Power Management Control", balanced ? TURBO : ""));
    rows.add(new Row("C States", balanced ? "Enabled" : "Disabled", "CPU - Power Management Control", balanced ? BALANCED_SLEEP : ""));
    if (balanced) {
      rows.add(new Row("Enhanced C-states (C1E)", "Disabled", "CPU - Power Management Control", C1E));
    }
    rows.add(new Row("RC6 (Render Standby)", "Disabled, where the part has graphics", "GT - Power Management Control", ""));
    rows.add(new Row("PCIe ASPM", "Disabled", "PCI Express Configuration", ""));
    rows.add(new Row("Legacy IO Low Latency", "Enabled", "PCH-IO Configuration", ""));
    rows.add(new Row("USB Periodic SMI", "Disabled", "LEGACY USB Configuration", ""));
  }

  private static final String BALANCED_CLOCK = "host.power: balanced: the housekeeping CPUs' clock follows their load; TuneD holds the "
      + "real-time VMs' CPUs at full clock";
  private static final String BALANCED_SLEEP = "host.power: balanced: the housekeeping CPUs sleep deep; TuneD holds the real-time VMs' "
      + "CPUs to states that wake within " + dev.rtc.plan.PowerPlan.HELD_RESUME_LATENCY_US + " us, per CPU";
  private static final String TURBO = "off in both power modes: a turbo clock depends on what the other cores do, so the real-time VMs' "
      + "CPUs would run at a speed that moves";
  private static final String C1E = "off in both power modes: the hardware turns a CPU's C1 into C1E behind the OS, which cannot stop it per CPU";

  private static boolean hasDevices(Plan plan) {
    return plan.vms().stream().anyMatch(v -> !v.devices().isEmpty());
  }
}
