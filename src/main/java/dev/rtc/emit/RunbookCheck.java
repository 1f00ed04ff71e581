package dev.rtc.emit;

/**
 * The catalogue of the runbook's checks and changes: each a stable ID that a check's result (or a
 * change's record) carries, whether it comes from a row of runbook.sh's CHECKS or from a function
 * of the steps. docs/runbook-checks.md
 * says what each one reads and what to do when it fails; RunbookChecksTest holds the three (this
 * list, that page and the steps' library) to one another. An ID, once shipped, is never renamed:
 * pipelines and playbooks match on it.
 */
public enum RunbookCheck {
  // Identity: the table preflight and every step that changes the host show first.
  TOPOLOGY_OS("topology.os"),
  TOPOLOGY_CPUS("topology.cpus"),
  TOPOLOGY_NODE_CPUS("topology.node-cpus"),
  TOPOLOGY_SMT("topology.smt"),
  TOPOLOGY_L3_SIZE("topology.l3-size"),
  TOPOLOGY_L2_SIZE("topology.l2-size"),
  TOPOLOGY_P_CORES("topology.p-cores"),
  TOPOLOGY_E_CORES("topology.e-cores"),
  RESCTRL_INFO_MOUNTED("resctrl-info.mounted"),
  RESCTRL_INFO_MB_CLOSIDS("resctrl-info.mb-closids"),
  RESCTRL_INFO_CAT("resctrl-info.cat"),
  RESCTRL_INFO_CBM_MASK("resctrl-info.cbm-mask"),
  RESCTRL_INFO_MIN_CBM_BITS("resctrl-info.min-cbm-bits"),
  RESCTRL_INFO_NUM_CLOSIDS("resctrl-info.num-closids"),
  CPU_CAT("cpu.cat"),
  CPU_CDP("cpu.cdp"),
  CPU_CACHE_WAYS("cpu.cache-ways"),
  // Preflight: is the host ready for the host step?
  PREFLIGHT_VIRTUALIZATION("preflight.virtualization"),
  PREFLIGHT_TOOLS("preflight.tools"),
  PREFLIGHT_PACKAGES("preflight.packages"),
  PREFLIGHT_BASE_IMAGE("preflight.base-image"),
  PREFLIGHT_CMDLINE_OWNER("preflight.cmdline-owner"),
  PREFLIGHT_UBUNTU_PRO("preflight.ubuntu-pro"),
  PREFLIGHT_RHEL_KEY("preflight.rhel-key"),
  NETWORK_BRIDGE("network.bridge"),
  NETWORK_MACVTAP("network.macvtap"),
  NETWORK_LIBVIRT("network.libvirt"),
  DEVICE_HOST("device.host"),
  DEVICE_SRIOV_CAPABLE("device.sriov-capable"),
  // check-host (scope host) and verify (scope: a VM).
  KERNEL_REALTIME("kernel.realtime"),
  KERNEL_KVM("kernel.kvm"),
  KERNEL_CMDLINE("kernel.cmdline"),
  RESCTRL_DEFAULT_GROUP("resctrl.default-group"),
  RESCTRL_GROUP_CPUS("resctrl.group-cpus"),
  RESCTRL_VM_GROUP("resctrl.vm-group"),
  MEMORY_HUGEPAGES("memory.hugepages"),
  DEVICE_IOMMU("device.iommu"),
  DEVICE_IOMMU_GROUP("device.iommu-group"),
  DEVICE_VF("device.vf"),
  DEVICE_SRIOV_COUNT("device.sriov-count"),
  DEVICE_VFIO("device.vfio"),
  DEVICE_IRQ("device.irq"),
  DEVICE_IN_GUEST("device.in-guest"),
  TUNED_PROFILE("tuned.profile"),
  TUNED_VERIFY("tuned.verify"),
  TUNING_VALUE("tuning.value"),
  TUNING_STALLD("tuning.stalld"),
  VM_PINS("vm.pins"),
  VM_EMULATOR("vm.emulator"),
  GUEST_AGENT("guest.agent"),
  // qualify: the platform before the plan is judged on it (a record's findings).
  QUALIFY_PLANNED("qualify.planned"),
  QUALIFY_RDT("qualify.rdt"),
  QUALIFY_IOMMU("qualify.iommu"),
  QUALIFY_HWLAT("qualify.hwlat"),
  QUALIFY_OSNOISE("qualify.osnoise"),
  QUALIFY_SMI("qualify.smi"),
  QUALIFY_CSTATES("qualify.cstates"),
  QUALIFY_FREQUENCY("qualify.frequency"),
  // What the steps change, reported by --json as change records (and state records for what was
  // already as planned), each under the subject that made it.
  HOST_KERNEL("host.kernel"),
  HOST_TUNING("host.tuning"),
  HOST_CMDLINE("host.cmdline"),
  HOST_UNITS("host.units"),
  HOST_MONITOR("host.monitor"),
  HOST_NETWORKS("host.networks"),
  HOST_VMS_UNIT("host.vms-unit"),
  VM_IMAGE("vm.image"),
  VM_DOMAIN("vm.domain"),
  VM_FIRST_BOOT("vm.first-boot"),
  QUALIFY_RECORD("qualify.record"),
  BENCH_STRESS("bench.stress"),
  BENCH_RUN("bench.run"),
  EVIDENCE_COLLECT("evidence.collect"),
  EVIDENCE_REPORT("evidence.report"),
  ROLLBACK_VMS("rollback.vms"),
  ROLLBACK_DEVICES("rollback.devices"),
  ROLLBACK_NETWORKS("rollback.networks"),
  ROLLBACK_UNITS("rollback.units"),
  ROLLBACK_MONITOR("rollback.monitor"),
  ROLLBACK_TUNING("rollback.tuning"),
  ROLLBACK_KERNEL("rollback.kernel");

  private final String id;

  RunbookCheck(String id) {
    this.id = id;
  }

  /** The ID as a result carries it. */
  public String id() {
    return id;
  }
}
