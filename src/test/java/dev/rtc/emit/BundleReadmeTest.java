package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The bundle README's BIOS checklist is the guide's whole table, made to fit the plan. */
class BundleReadmeTest {

  static String readme(String example) {
    return new Compiler().compile(Path.of("examples/" + example + ".yaml")).bundle().files().get("README.md").text();
  }

  static long rows(String readme) {
    return readme.lines().filter(l -> l.startsWith("| ☐ |")).count();
  }

  @Test
  void theGuidesTableWithHyperThreadingAsThePlanNeedsIt() {
    String plain = readme("eci-reference"); // threadsPerCore: 1, as the guide's host
    assertThat(rows(plain)).isEqualTo(19);
    assertThat(plain).contains("| ☐ | Hyper-Threading | **Disabled** |").contains("| ☐ | USB Periodic SMI | **Disabled** |")
        .contains("| ☐ | SA GV | **Fixed High** |").doesNotContain("SR-IOV Support");
    String smt = readme("xeon-smt"); // a plan made for 2 threads per core
    assertThat(smt).contains("| ☐ | Hyper-Threading | **Enabled** (the guide disables it; this manifest's host has 2 threads per core");
    String devices = readme("xeon-devices"); // VFs and whole devices
    assertThat(rows(devices)).isEqualTo(20);
    assertThat(devices).contains("| ☐ | SR-IOV Support | **Enabled**")
        .contains("| ☐ | VT-d | **Enabled** (VMs of this plan are given host devices");
  }
}
