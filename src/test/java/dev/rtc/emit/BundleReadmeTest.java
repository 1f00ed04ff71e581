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

  static String readme(String example, String from, String to) throws java.io.IOException {
    String text = java.nio.file.Files.readString(Path.of("examples/" + example + ".yaml"));
    assertThat(text).contains(from);
    return new Compiler().compile(new dev.rtc.manifest.ManifestLoader.Source("m.yaml", text.replace(from, to)
        .getBytes(java.nio.charset.StandardCharsets.UTF_8))).bundle().files().get("README.md").text();
  }

  /** The row of {@code setting}: its option, bold. */
  static String option(String readme, String setting) {
    return readme.lines().filter(l -> l.startsWith("| ☐ | " + setting + " |")).findFirst().orElseThrow().split("\\|")[3].strip();
  }

  /** Under balanced the OS must be able to sleep and clock down; what it cannot hold per CPU stays off in both modes. */
  @Test
  void theRowsFollowThePowerChoice() throws java.io.IOException {
    String lowest = readme("eci-reference");
    String balanced = readme("eci-reference", "  housekeeping: \"0-3\"", "  power: balanced\n  housekeeping: \"0-3\"");
    assertThat(lowest).contains("made for `host.power: lowest-latency`");
    assertThat(balanced).contains("made for `host.power: balanced`");
    for (String row : List.of("Processor C6 (Core C6)", "Enhanced Intel SpeedStep (EIST, P-states)")) {
      assertThat(option(lowest, row)).as(row).startsWith("**Disabled**");
      assertThat(option(balanced, row)).as(row).startsWith("**Enabled**");
    }
    assertThat(option(balanced, "Hardware P-States (HWP)")).startsWith("**Native Mode**");
    for (String row : List.of("C1E", "Intel Turbo Boost")) {
      assertThat(option(lowest, row)).as(row).startsWith("**Disabled**");
      assertThat(option(balanced, row)).as(row).startsWith("**Disabled**").contains("in both power modes");
    }
    assertThat(option(balanced, "Package C State")).startsWith("**C0/C1 state**");
    String client = readme("hybrid-client");
    assertThat(option(client, "C States")).startsWith("**Enabled**");
    assertThat(option(client, "Enhanced C-states (C1E)")).startsWith("**Disabled**");
    assertThat(client).contains("`qualify.cstates` failed | a real-time VM's CPU slept deeper than planned");
  }

  /** Balanced without a real-time VM holds no CPU, and every document says so instead of naming an empty set. */
  @Test
  void balancedWithoutARealTimeVmSaysNoCpuIsHeld() {
    String m = "apiVersion: rtc/v1\nname: so\nhost:\n  os: debian12\n  topology:\n    threadsPerCore: 1\n"
        + "    sockets: [{id: 0, cpus: \"0-3\"}]\n    numaNodes: [{id: 0, cpus: \"0-3\"}]\n  housekeeping: \"0\"\n  power: balanced\nvms:\n"
        + "  - {name: stress, role: stressor, vcpus: 1, memory: 1 GiB, workload: stress-ng, disk: {baseImage: x.qcow2, size: 4 GiB},"
        + " guest: {user: debian, passwordHash: \"$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.\"}}\n";
    var files = new Compiler().compile(new dev.rtc.manifest.ManifestLoader.Source("so.yaml", m.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .bundle().files();
    assertThat(files.get("plan.md").text()).contains("No CPU is held: there is no real-time VM.").doesNotContainPattern("[^`]``[^`]");
    assertThat(files.get("README.md").text()).contains("there is no real-time VM\nwhose CPUs Linux would hold awake").doesNotContainPattern("[^`]``[^`]");
    assertThat(files.get("plan.html").text()).contains("no CPU held (no real-time VM)");
    assertThat(files.get("host/tuned/rtc-so/tuned.conf").text()).contains("[cpu]\n").doesNotContain("[cpu_rt]");
  }

  /** host.platform settles what the topology cannot tell: a Xeon D with 8 cores on one socket reads as a client. */
  @Test
  void hostPlatformOverridesTheGuess() throws java.io.IOException {
    String guessed = readme("hybrid-client");
    assertThat(guessed).contains("(if that is wrong, say `host.platform` in the manifest and compile again)");
    String said = readme("hybrid-client", "  power: balanced ", "  platform: server\n  power: balanced ");
    assertThat(said).contains("This host is taken for a **server** platform (host.platform says so)").doesNotContain("if that is wrong");
    assertThat(settings(said)).contains("Patrol Scrub", "Uncore Frequency Scaling").doesNotContain("RC6 (Render Standby)");
    String embedded = readme("eci-reference", "  housekeeping: \"0-3\"", "  platform: embedded\n  housekeeping: \"0-3\"");
    assertThat(settings(embedded)).contains("Intel Time Coordinated Computing (TCC Mode)");
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
