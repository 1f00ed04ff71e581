package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The bundle README's BIOS checklist is chosen by the platform's class (a 2-socket Xeon gets no
 * graphics rows, an Atom-class part gets TCC), made to fit the plan, and opens by keeping what is
 * there: note the current settings, never load the defaults. And it says where each image comes
 * from, and what an offline site does.
 */
class BundleReadmeTest {

  static String readme(String example) {
    return new Compiler().compile(Path.of("examples/" + example + ".yaml")).bundle().files().get("README.md").text();
  }

  static List<String> settings(String readme) {
    return readme.lines().filter(l -> l.startsWith("| ☐ |")).map(l -> l.split("\\|")[2].strip()).toList();
  }

  @Test
  void aServerGetsAServersKnobsAndNoGraphicsRows() {
    for (String xeon : List.of("eci-reference", "rhel9-reference", "xeon-smt", "xeon-snc", "xeon-devices")) {
      String r = readme(xeon);
      assertThat(r).as(xeon).contains("This host is taken for a **server** platform");
      assertThat(settings(r)).as(xeon).contains("Hardware P-States (HWP)", "Package C State", "Uncore Frequency Scaling",
          "Sub-NUMA Clustering (SNC)", "Patrol Scrub").doesNotContain("RC6 (Render Standby)", "Maximum GT freq", "Gfx Low Power Mode", "SA GV");
    }
    assertThat(readme("xeon-snc")).contains("| ☐ | Sub-NUMA Clustering (SNC) | **Enabled (2 clusters per socket)**");
    assertThat(readme("eci-reference")).contains("| ☐ | Sub-NUMA Clustering (SNC) | **Disabled**").contains("| ☐ | Hyper-Threading | **Disabled** |");
    assertThat(readme("xeon-smt")).contains("| ☐ | Hyper-Threading | **Enabled** (the guide disables it; this manifest's host has 2 threads per core");
    String devices = readme("xeon-devices");
    assertThat(devices).contains("| ☐ | SR-IOV Support | **Enabled**").contains("| ☐ | Intel VT-d | **Enabled** (VMs of this plan are given host devices");
  }

  @Test
  void aClientGetsTheGuidesTableAndAnAtomItsOwn() {
    String client = readme("hybrid-client");
    assertThat(client).contains("This host is taken for a **client** platform (P-cores and E-cores: a hybrid Core part)");
    assertThat(settings(client)).contains("RC6 (Render Standby)", "SA GV", "USB Periodic SMI").doesNotContain("Patrol Scrub");
    String atom = readme("atom-l2cat");
    assertThat(atom).contains("This host is taken for an **embedded** platform (no L3, cache allocation on L2");
    assertThat(settings(atom)).contains("Intel Time Coordinated Computing (TCC Mode)", "C States").doesNotContain("Patrol Scrub", "SA GV");
  }

  @Test
  void itKeepsWhatIsThereAndSaysWhereEachImageComesFrom() {
    for (String example : List.of("eci-reference", "hybrid-client", "atom-l2cat", "rhel9-reference")) {
      String r = readme(example);
      assertThat(r).as(example).contains("**Note the current settings first.**").contains("**Do not load the defaults.**")
          .doesNotContain("Load Defaults, Save").contains("**An offline site**");
    }
    assertThat(readme("eci-reference")).contains("debian-12-generic-amd64.qcow2` for debian12-rt, debian12-stress: from "
        + "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-generic-amd64.qcow2");
    assertThat(readme("rhel9-reference")).contains(": from Red Hat's customer portal, with a subscription");
  }
}
