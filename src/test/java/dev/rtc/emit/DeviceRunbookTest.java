package dev.rtc.emit;

import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook's device and network paths on fake hosts of the example xeon-devices (an I226 given
 * whole to one real-time VM, VF 0 of an I350 port to another): preflight checks each device's ids,
 * node, driver and group before anything changes; check-host proves the IOMMU on, the groups whole
 * and the VFs where planned after the reboot; verify sees the devices in the live VMs and their
 * interrupts on housekeeping CPUs; rollback gives the devices back and the VF count what it was.
 */
@Slow
class DeviceRunbookTest {

  @TempDir static Path tmp;
  static Path bundle;
  static Plan plan;

  @BeforeAll
  static void compile() throws IOException {
    Compiler.Result r = new Compiler().compile(Path.of("examples/xeon-devices.yaml"));
    plan = r.plan();
    bundle = tmp.resolve("out");
    BundleWriter.write(r.bundle(), bundle, false);
  }

  static FakeHost host(String name) {
    return FakeHost.of(tmp.resolve("host-" + name), plan);
  }

  static Tool.Run run(FakeHost h, String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "./runbook.sh";
    System.arraycopy(args, 0, all, 1, args.length);
    return Tool.require("bash").run(bundle, h.env(), all);
  }

  static List<String> changes(FakeHost h) {
    return h.calls().stream().filter(c -> RunbookTest.READS.stream().noneMatch(c::startsWith)).toList();
  }

  /**
   * With devices in the plan, a host that is not the manifest's is still left untouched by every
   * step, and --dry-run of every step (the device checks, the VF unit, the reattach and VF-count
   * rollback) writes nothing and runs nothing that changes the host.
   */
  @Test
  void noStepChangesAnotherHostAndDryRunChangesNothing() throws IOException {
    FakeHost other = host("other");
    other.write("sys/devices/system/cpu/online", "0-15\n");
    Map<String, String> before = other.files();
    for (String step : List.of("preflight", "host", "images", "vms", "all")) {
      Tool.Run r = run(other, step);
      assertThat(r.exit()).as("%s: %s", step, r.all()).isEqualTo(1);
      assertThat(changes(other)).as("commands %s ran on the wrong host", step).isEmpty();
      assertThat(other.files()).as("files after %s on the wrong host", step).isEqualTo(before);
    }
    // A run that went as far as the VMs, then --dry-run of every step, rollback included.
    FakeHost h = host("dry");
    assertThat(run(h, "host").exit()).isZero();
    h.booted();
    assertThat(run(h, "images", "vms").exit()).isZero();
    h.vmsRunning();
    h.clearCalls();
    Map<String, String> applied = h.files();
    for (String step : List.of("preflight", "host", "check-host", "images", "vms", "verify", "rollback")) {
      Tool.Run r = run(h, "--dry-run", step);
      assertThat(r.out()).as(step).contains("(dry run: nothing is written or changed)").doesNotContain("   + ");
      assertThat(changes(h)).as("commands that change the host, run by --dry-run %s", step).isEmpty();
      assertThat(h.files()).as("the host's files after --dry-run %s", step).isEqualTo(applied);
    }
  }

  @Test
  void preflightChecksEachDeviceAndRefusesAnotherCardInTheSlot() throws IOException {
    FakeHost h = host("preflight");
    Tool.Run ok = run(h, "preflight");
    assertThat(ok.out()).as(ok.all()).contains("ok: debian12-ethercat: 0000:17:00.0 (8086:125b) on NUMA node 0, IOMMU group 30")
        .contains("ok: SR-IOV: 0000:af:00.0 (8086:1521) on NUMA node 1")
        .contains("note: the IOMMU is off until the reboot after 'host' (intel_iommu=on)");
    assertThat(ok.all()).doesNotContain("FAIL");
    // Another card in the slot, a device on another node, no SR-IOV, a driver of another name: each said; nothing changed.
    h.pciDevice("0000:17:00.0", "8086:15f3", 0, "0x020000", "igc");
    h.write("sys/bus/pci/devices/0000:af:00.0/numa_node", "0\n");
    h.delete("sys/bus/pci/devices/0000:af:00.0/sriov_totalvfs");
    Map<String, String> before = h.files();
    Tool.Run bad = run(h, "preflight");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("FAIL: debian12-ethercat: 0000:17:00.0 is a 8086:15f3, planned 8086:125b: another card in that slot?")
        .contains("FAIL: SR-IOV: 0000:af:00.0 is on NUMA node 0, planned 1")
        .contains("FAIL: SR-IOV: 0000:af:00.0 shows no sriov_totalvfs: SR-IOV is off in the BIOS")
        .contains("3 problems above");
    assertThat(h.files()).isEqualTo(before);
    h.pciDevice("0000:17:00.0", "8086:125b", 0, "0x020000", "e1000e");
    assertThat(run(h, "preflight").err()).contains("0000:17:00.0 is bound to 'e1000e', planned igc (or vfio-pci while a VM has it)");
  }

  @Test
  void checkHostProvesTheIommuTheGroupsAndTheVirtualFunctions() {
    FakeHost h = host("check").booted();
    Tool.Run ok = run(h, "check-host");
    assertThat(ok.out()).as(ok.all()).contains("ok: IOMMU on")
        .contains("ok: debian12-ethercat: IOMMU group 30 of 0000:17:00.0 holds only its devices")
        .contains("ok: debian12-opcua: VF 0 of 0000:af:00.0 is 0000:af:10.0").contains("ok: SR-IOV: 1 VFs on 0000:af:00.0");
    assertThat(ok.exit()).as(ok.all()).isZero();
    // The I226's second port in its group (a card without ACS), and the VFs not made (the unit failed).
    h.pciDevice("0000:17:00.1", "8086:125b", 0, "0x020000", "igc").group("0000:17:00.1", 30);
    h.write("sys/bus/pci/devices/0000:af:00.0/sriov_numvfs", "0\n");
    Tool.Run bad = run(h, "check-host");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("FAIL: debian12-ethercat: IOMMU group 30 of 0000:17:00.0 also holds 0000:17:00.1, which "
        + "debian12-ethercat is not given: the VM will not start")
        .contains("FAIL: SR-IOV: 0000:af:00.0 has '0' VFs, planned 1 (systemctl status rtc-sriov)");
    // A PCI bridge in the group is no fault.
    h.pciDevice("0000:17:00.1", "8086:125b", 0, "0x060400", null);
    assertThat(run(h, "check-host").err()).doesNotContain("also holds");
    // The IOMMU off: said plainly.
    FakeHost off = host("iommu-off");
    assertThat(run(off, "check-host").err()).contains("FAIL: the IOMMU is off (/sys/kernel/iommu_groups is empty): is VT-d on in "
        + "the BIOS, and intel_iommu=on on the command line?");
  }

  @Test
  void verifySeesTheDevicesInTheLiveVmsAndTheirInterruptsOnHousekeepingCpus() {
    FakeHost h = host("verify").booted().vmsRunning();
    Tool.Run ok = run(h, "verify");
    assertThat(ok.out()).as(ok.all()).contains("ok: debian12-ethercat: 0000:17:00.0 is bound to vfio-pci (the VM has it)")
        .contains("ok: debian12-ethercat: IRQ 150 of 0000:17:00.0 on housekeeping CPUs")
        .contains("ok: debian12-ethercat: the guest has 0000:17:00.0 (8086:125b)")
        .contains("ok: debian12-opcua: the guest has VF 0 of 0000:af:00.0 (MAC 52:54:00:0a:00:01)");
    assertThat(ok.err()).doesNotContain("FAIL");
    // An interrupt moved onto a real-time CPU, the device back with its host driver, the VF's MAC not in the guest.
    h.write("proc/irq/150/smp_affinity_list", "0-3\n");
    h.bind("0000:17:00.0", "igc");
    h.write("fake/virsh/domains/debian12-opcua/macs", "52:54:00:00:00:99\n");
    Tool.Run bad = run(h, "verify");
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.err()).contains("FAIL: debian12-ethercat: IRQ 150 of 0000:17:00.0 may run on CPUs 0-3, not only the housekeeping CPUs")
        .contains("FAIL: debian12-ethercat: 0000:17:00.0 is bound to 'igc', not vfio-pci")
        .contains("FAIL: debian12-opcua: no interface with MAC 52:54:00:0a:00:01 in the guest (VF 0 of 0000:af:00.0)");
  }

  @Test
  void rollbackGivesTheDevicesBackAndTheVfCountWhatItWas() throws IOException {
    FakeHost h = host("rollback");
    Tool.Run host = run(h, "host");
    assertThat(host.exit()).as(host.all()).isZero();
    assertThat(h.read("etc/systemd/system/rtc-sriov.service")).contains("echo 1 > \"$$f\"");
    assertThat(h.calls()).contains("systemctl enable rtc-sriov.service");
    h.booted();
    assertThat(run(h, "images", "vms").exit()).isZero();
    h.vmsRunning();
    // A VM stopped without libvirt giving its device back: rollback reattaches it.
    h.write("fake/virsh/domains/debian12-ethercat/state", "shut off\n");
    h.clearCalls();
    Tool.Run dry = run(h, "--dry-run", "rollback");
    assertThat(dry.out()).as(dry.all()).contains("would run: virsh nodedev-reattach pci_0000_17_00_0")
        .contains("would write: 0 to /sys/bus/pci/devices/0000:af:00.0/sriov_numvfs");
    assertThat(h.read("sys/bus/pci/devices/0000:af:00.0/sriov_numvfs")).isEqualTo("1\n");
    Tool.Run r = run(h, "rollback");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(h.calls()).contains("virsh nodedev-reattach pci_0000_17_00_0", "systemctl disable rtc-sriov.service");
    assertThat(h.read("sys/bus/pci/devices/0000:af:00.0/sriov_numvfs")).isEqualTo("0\n");
    assertThat(h.exists("etc/systemd/system/rtc-sriov.service")).isFalse();
    assertThat(Files.exists(h.root.resolve("var/lib/rtc/xeon-devices/backup/sriov_numvfs-0000:af:00.0"))).isTrue();
  }
}
