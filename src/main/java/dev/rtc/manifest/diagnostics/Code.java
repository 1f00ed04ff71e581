package dev.rtc.manifest.diagnostics;


/**
 * Every diagnostic rtc can give, with a stable id. Ids are never reused or renumbered: pipelines
 * and docs refer to them. docs/diagnostics.md has one entry per code.
 */
public enum Code {
  // Reading the file.
  RTC001("manifest file cannot be read"),
  RTC002("YAML syntax error"),
  RTC003("YAML feature rtc refuses (anchor, alias, tag, several documents)"),
  RTC004("duplicate key"),
  RTC005("manifest too large or too deeply nested"),
  RTC006("manifest is empty"),
  RTC007("manifest is not valid UTF-8"),
  RTC008("number in a form rtc does not read (octal, hex, digit groups, infinity, NaN, too many digits)"),
  // Schema.
  RTC010("unknown key"),
  RTC011("required key missing"),
  RTC012("wrong type"),
  RTC013("value not allowed"),
  RTC014("number out of range"),
  RTC015("list too short or too long"),
  RTC016("password in plain text or a weak hash"),
  // Values with a syntax of their own.
  RTC020("bad cpulist"),
  RTC021("bad size"),
  RTC022("bad URL"),
  RTC023("MAC address a NIC cannot carry"),
  // Topology.
  RTC030("topology sets overlap or miss CPUs"),
  RTC031("cache mask inconsistent"),
  RTC032("housekeeping CPUs inconsistent"),
  RTC033("nothing isolated"),
  RTC034("extra kernel argument that rtc sets itself"),
  RTC035("host devices inconsistent"),
  RTC036("kernel argument that takes a safeguard away"),
  RTC037("base image outside libvirt's images folder"),
  RTC038("kernel argument that undoes host.power: balanced"),
  // VMs.
  RTC040("VM name used twice"),
  RTC041("explicit pins or NUMA node invalid"),
  RTC042("real-time VM needs a housekeeping vCPU"),
  RTC043("cache or bandwidth request invalid"),
  RTC044("option does not fit the VM's role"),
  RTC045("memory is not a whole number of hugepages"),
  RTC046("kernel choice cannot give a real-time kernel on this OS"),
  RTC047("a host or real-time VM keeps a kernel that is not real-time"),
  RTC048("option not available on this OS, or unused"),
  RTC049("device or network request invalid"),
  // Benchmark.
  RTC050("benchmark inconsistent with the VMs"),
  // Solver.
  RTC060("not enough CPUs"),
  RTC061("not enough cache ways"),
  RTC062("not enough resctrl groups (CLOS)"),
  RTC063("placement compromise: a stressor beside a real-time VM, or remote emulator threads"),
  RTC064("kernel command line too long"),
  RTC065("not enough memory on the NUMA node"),
  RTC066("real-time cache on ways shared with I/O"),
  RTC067("device on another NUMA node than its VM");

  /** The planner's own findings: CPUs, cache ways, groups, memory, devices' nodes, kernel arguments. */
  public static final java.util.Set<Code> PLANNER = java.util.EnumSet.of(RTC034, RTC060, RTC061, RTC062, RTC063, RTC064, RTC065,
      RTC066);

  private final String summary;

  Code(String summary) {
    this.summary = summary;
  }

  public String summary() {
    return summary;
  }
}
