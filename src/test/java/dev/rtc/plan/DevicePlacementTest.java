package dev.rtc.plan;

import static dev.rtc.plan.PlacementRulesTest.compile;
import static dev.rtc.plan.PlacementRulesTest.errors;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.topology.PciAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Devices steer placement: a real-time VM runs on its devices' NUMA node (a hard rule), a
 * stressor prefers it where that does not put it beside a real-time VM, a refusal on the device's
 * node names the device and a tried relaxation, and the host gets the IOMMU on only when a device
 * is passed. On the example xeon-devices (2 sockets of 24 CPUs; the I226 on node 0, the I350 on 1).
 */
class DevicePlacementTest {

  static String example() throws IOException {
    return Files.readString(Path.of("examples/xeon-devices.yaml"));
  }

  static Plan plan(String text) {
    return compile(text).plan();
  }

  @Test
  void eachRealTimeVmRunsOnTheNodeOfItsDevice() throws IOException {
    Plan p = plan(example());
    Plan.VmPlan ethercat = SolverReproductionsTest.vmPlan(p, "debian12-ethercat");
    Plan.VmPlan opcua = SolverReproductionsTest.vmPlan(p, "debian12-opcua");
    assertThat(ethercat.numaNode()).isZero();
    assertThat(opcua.numaNode()).isEqualTo(1);
    assertThat(opcua.vcpuPins()).allMatch(c -> c >= 24);
    assertThat(p.decisions()).anySatisfy(d -> assertThat(d.why()).startsWith("the node of its device VF 0 of 0000:af:00.0 (ens5f0)"));
    // Without its VF, the OPC UA VM goes where first fit puts it: node 0, beside the EtherCAT VM.
    Plan without = plan(example().replace("    devices:\n      - {pf: ens5f0, vf: 0, mac: \"52:54:00:0a:00:01\", vlan: 100}\n", ""));
    assertThat(SolverReproductionsTest.vmPlan(without, "debian12-opcua").numaNode()).isZero();
  }

  @Test
  void theVirtualFunctionsAddressFollowsOffsetAndStride() {
    PciAddress pf = PciAddress.parse("0000:af:00.0");
    assertThat(pf.virtualFunction(128, 4, 0)).hasToString("0000:af:10.0");
    assertThat(pf.virtualFunction(128, 4, 1)).hasToString("0000:af:10.4");
    assertThat(pf.virtualFunction(128, 4, 6)).hasToString("0000:af:13.0");
    assertThat(PciAddress.parse("3b:00.1")).hasToString("0000:3b:00.1");
    assertThat(PciAddress.parse("0000:3b:00.1").nodeDevice()).isEqualTo("pci_0000_3b_00_1");
  }

  @Test
  void theHostGetsTheIommuOnlyWhenADeviceIsPassed() throws IOException {
    assertThat(plan(example()).host().cmdline().toString()).endsWith(" intel_iommu=on iommu=pt");
    String none = example().replace("    devices:\n      - {interface: enp23s0}      # the whole I226 port, for the EtherCAT master\n", "")
        .replace("    devices:\n      - {pf: ens5f0, vf: 0, mac: \"52:54:00:0a:00:01\", vlan: 100}\n", "");
    assertThat(plan(none).host().cmdline().toString()).doesNotContain("iommu");
  }

  /**
   * The device's node is full: the refusal says the VM must be on that node because of the device,
   * and the relaxation (a device of the other node) was planned before it is given.
   */
  @Test
  void aFullDeviceNodeIsRefusedNamingTheDeviceWithATriedRelaxation() throws IOException {
    String opcua = "  - name: debian12-opcua\n    role: realtime\n    vcpus: 2\n";
    // 23 vCPUs: node 1 has 22 isolated CPUs, node 0 18 beside the EtherCAT VM: no device elsewhere would do.
    Diagnostic e = rtc060(example().replace(opcua, opcua.replace("vcpus: 2", "vcpus: 23")));
    assertThat(e.message()).contains("debian12-opcua needs 23 free isolated CPUs on NUMA node 1 (where its device VF 0 of 0000:af:00.0 "
        + "(ens5f0) at 0000:af:10.0 is)");
    assertThat(e.hint()).contains("lower debian12-opcua.vcpus from 23 to 22").doesNotContain("a device of NUMA node");
    // Node 1 kept mostly for housekeeping (14 isolated): 16 vCPUs fit node 0's 18 free, so a device there is the relaxation.
    String small = example().replace("housekeeping: \"0-1,24-25\"", "housekeeping: \"0-1,24-33\"")
        .replace(opcua, opcua.replace("vcpus: 2", "vcpus: 16"));
    Diagnostic f = rtc060(small);
    assertThat(f.hint()).contains("lower debian12-opcua.vcpus from 16 to 14")
        .contains("give debian12-opcua a device of NUMA node 0 instead, where it fits");
    // Tried: on node 0 (as a device there would put it) it is planned.
    Plan there = plan(small.replace("    devices:\n      - {pf: ens5f0, vf: 0, mac: \"52:54:00:0a:00:01\", vlan: 100}\n",
        "    placement: {numaNode: 0}\n"));
    assertThat(SolverReproductionsTest.vmPlan(there, "debian12-opcua").numaNode()).isZero();
  }

  static Diagnostic rtc060(String text) {
    List<Diagnostic> errs = errors(text);
    return errs.stream().filter(x -> x.code() == Code.RTC060).findFirst().orElseThrow(() -> new AssertionError(errs.toString()));
  }

  @Test
  void aStressorPrefersItsDevicesNodeWhereNoRealTimeVmIs() throws IOException {
    // Only the EtherCAT VM (node 0) is real-time here; the stressor takes the OPC UA VF (node 1).
    String text = example().replace("    devices:\n      - {pf: ens5f0, vf: 0, mac: \"52:54:00:0a:00:01\", vlan: 100}\n", "")
        .replace("    workload: stress-ng\n", "    workload: stress-ng\n    devices:\n      - {pf: ens5f0, vf: 1}\n");
    Plan p = plan(text);
    assertThat(SolverReproductionsTest.vmPlan(p, "debian12-stress").numaNode()).isEqualTo(1);
    assertThat(SolverReproductionsTest.vmPlan(p, "debian12-stress").devices()).singleElement()
        .satisfies(d -> assertThat(d.device().address()).hasToString("0000:af:10.4"));
  }
}
