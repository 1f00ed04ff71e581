package dev.rtc.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.emit.Bundle;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What a change costs on the plant: every file any bundle can hold has its rule in
 * {@link Consequences#ARTIFACTS}, and a matrix of single edits of the examples each gets the
 * headline a reviewer must read (reinstall, reboot, runtime, which VMs restart or are rebuilt,
 * new and removed VMs, or nothing), with the reason it gives.
 */
class ConsequencesTest {

  /**
   * One edit: the example, a text it replaces (once, and it must be there), the summary and a reason
   * the headline must give; {@code also} is then removed everywhere (the images, so that they follow a new OS).
   */
  record Edit(String example, String find, String replace, String summary, String reason, String also) {
    Edit(String example, String find, String replace, String summary, String reason) {
      this(example, find, replace, summary, reason, null);
    }
  }

  static final String RT_HASH = "$6$banana123$wQ1IqKwmt6fbNfzB31o0JC1PTG/TdbxTMkB5gx0RyzujPINAifkV1shcE7HW7d.jnVTs5QyuFZBid8NmYf2oq.";

  static final List<Edit> EDITS = List.of(
      new Edit("eci-reference", "housekeeping: \"0-3\" ", "housekeeping: \"0-5\" ", "reboot runtime restart:debian12-rt,debian12-stress",
          "the kernel command line changes"),
      new Edit("eci-reference", "  kernel: {realtime: eci}         #", "  kernel: {realtime: distro}      #", "reboot",
          "host kernel: Intel ECI's linux-intel-rt -> Debian's linux-image-rt-amd64"),
      new Edit("eci-reference", "  kernel: {realtime: eci}         #", "  kernel: {realtime: none}        #", "reboot", "host kernel: Intel ECI's"),
      new Edit("eci-reference", "  os: debian12", "  os: ubuntu2404", "reinstall reboot runtime rebuild:debian12-rt,debian12-stress",
          "host OS: debian12 -> ubuntu2404", "baseImage: debian-12-generic-amd64.qcow2, "),
      new Edit("eci-reference", "duration: 24h", "duration: 1h", "nothing", "the runbook's own steps changed"),
      new Edit("eci-reference", "verdictUs: {great: 100, good: 300}", "verdictUs: {great: 50, good: 300}", "nothing", "documents"),
      new Edit("eci-reference", "# Placement is left", "# Placement is (still) left", "nothing", "only comments"),
      new Edit("eci-reference", "    vcpus: 8                      # vCPU 0", "    vcpus: 6                      # vCPU 0", "restart:debian12-rt",
          "VMs to shut down and start again: debian12-rt"),
      new Edit("eci-reference", "    cache: 8 MiB                  # exclusive", "    cache: 12 MiB                 # exclusive",
          "restart:debian12-rt", "debian12-rt"),
      new Edit("eci-reference", "  cache: 8 MiB                    # L3 kept", "  cache: 4 MiB                    # L3 kept", "runtime restart:debian12-rt",
          "rtc-resctrl (systemctl restart rtc-resctrl)"),
      new Edit("eci-reference", "    memoryBandwidth: 100", "    memoryBandwidth: 50", "restart:debian12-rt", "debian12-rt"),
      new Edit("eci-reference", "    vcpus: 8                      # vCPU 0 housekeeping (FIFO 1), vCPUs 1-7 real-time (FIFO 10)\n    memory: 8 GiB",
          "    vcpus: 8                      # vCPU 0 housekeeping (FIFO 1), vCPUs 1-7 real-time (FIFO 10)\n    memory: 16 GiB",
          "restart:debian12-rt", "debian12-rt"),
      new Edit("eci-reference", "    workload: kernel-build\n    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 20 GiB}",
          "    workload: kernel-build\n    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 40 GiB}", "restart:debian12-stress",
          "debian12-stress"),
      new Edit("eci-reference", "disk: {baseImage: debian-12-generic-amd64.qcow2, size: 10 GiB}",
          "disk: {baseImage: debian-12-genericcloud-amd64.qcow2, size: 10 GiB}", "rebuild:debian12-rt", "VMs to rebuild on a new base image: debian12-rt"),
      new Edit("eci-reference", "      kernel: {realtime: eci}     #", "      kernel: {realtime: distro}  #", "restart:debian12-rt", "debian12-rt"),
      new Edit("eci-reference", "workload: kernel-build", "workload: stress-ng", "restart:debian12-stress", "debian12-stress"),
      new Edit("eci-reference", "      user: debian\n      passwordHash: \"" + RT_HASH + "\"\n\nbenchmark:",
          "      user: debian\n      passwordHash: \"" + RT_HASH.replace("banana123", "cherry456") + "\"\n\nbenchmark:", "restart:debian12-stress",
          "debian12-stress"),
      new Edit("eci-reference", "  kernel: {realtime: eci}         #", "  kernel:\n    realtime: eci\n    extraArgs: [quiet]\n#", "reboot",
          "the kernel command line changes"),
      new Edit("eci-reference", "    emulator: {cpus: 4}", "    emulator: {cpus: 2}", "restart:debian12-rt", "debian12-rt"),
      new Edit("eci-reference", "\nbenchmark:", "\nsite:\n  proxy: http://proxy.plant.example:3128\n\nbenchmark:",
          "restart:debian12-rt,debian12-stress", "debian12-rt, debian12-stress"),
      new Edit("eci-reference", "  - name: debian12-stress\n    role: stressor\n    vcpus: 8\n    memory: 8 GiB\n    workload: kernel-build\n"
          + "    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 20 GiB}\n    guest:\n      user: debian\n      passwordHash: \"" + RT_HASH
          + "\"\n", "", "runtime gone:debian12-stress", "VMs to remove: debian12-stress"),
      new Edit("eci-reference", "\nbenchmark:", "\n  - name: extra-stress\n    role: stressor\n    vcpus: 2\n    memory: 2 GiB\n"
          + "    disk: {baseImage: debian-12-generic-amd64.qcow2, size: 20 GiB}\n    guest: {user: debian, passwordHash: \"" + RT_HASH
          + "\"}\n\nbenchmark:", "runtime new:extra-stress", "the unit that starts the VMs at boot"),
      new Edit("rhel9-reference", "hugepages: 1G ", "hugepages: 2M ", "reboot restart:rhel9-rt", "hugepages reserved at boot"),
      new Edit("rhel9-reference", "housekeeping: \"0-3\"", "housekeeping: \"0-5\"", "reboot runtime restart:rhel9-rt,rhel9-stress",
          "the kernel command line changes"),
      new Edit("xeon-smt", "  os: debian12", "  os: rhel9", "reinstall reboot runtime rebuild:rt,rt-pair,stress", "host OS: debian12 -> rhel9",
          "baseImage: debian-12-generic-amd64.qcow2, "),
      new Edit("xeon-smt", "    siblings: pair", "", "restart:rt-pair", "rt-pair"),
      new Edit("xeon-devices", "vlan: 100}", "vlan: 200}", "restart:debian12-opcua", "debian12-opcua"),
      new Edit("xeon-devices", "mac: \"52:54:00:0a:00:01\"", "mac: \"52:54:00:0a:00:02\"", "restart:debian12-opcua", "debian12-opcua"),
      new Edit("atom-l2cat", "    cache: 2 MiB                  # 8 of", "    cache: 1 MiB                  # 8 of", "runtime",
          "rtc-resctrl (systemctl restart rtc-resctrl)"),
      new Edit("hybrid-client", "  housekeeping: \"0-1,20-21\"", "  kernel: {realtime: none}\n  housekeeping: \"0-1,20-21\"", "reboot",
          "host kernel: "),
      new Edit("xeon-snc", "housekeeping: \"0-1,12,24,36\"", "housekeeping: \"0-2,12,24,36\"", "reboot runtime restart:rt",
          "the kernel command line changes"));

  @Test
  void everySingleEditGetsTheHeadlineItCosts() throws IOException {
    assertThat(EDITS).hasSizeGreaterThanOrEqualTo(30);
    List<String> failures = new ArrayList<>();
    for (Edit e : EDITS) {
      String text = Files.readString(Path.of("examples", e.example() + ".yaml"));
      assertThat(text).as("%s holds %s", e.example(), e.find()).contains(e.find());
      Bundle before = compile(e.example() + ".yaml", text);
      String edited = text.replaceFirst(java.util.regex.Pattern.quote(e.find()), java.util.regex.Matcher.quoteReplacement(e.replace()));
      if (e.also() != null) {
        assertThat(edited).contains(e.also());
        edited = edited.replace(e.also(), "");
      }
      Bundle after = compile(e.example() + "-edited.yaml", edited);
      BundleDiff.Report r = BundleDiff.diff(BundleDiff.Side.of("before", before), BundleDiff.Side.of("after", after));
      String headline = r.headline();
      if (!summary(headline).equals(e.summary()) || !headline.contains(e.reason())) {
        failures.add(e.example() + ": '" + e.find().lines().findFirst().orElse("") + "' -> '" + e.replace().lines().findFirst().orElse("")
            + "': expected " + e.summary() + " with '" + e.reason() + "', got " + summary(headline) + ":\n" + headline);
      }
    }
    assertThat(failures).as(String.join("\n", failures)).isEmpty();
  }

  /** The headline as a reviewer acts on it: what happens to the host, and to which VMs. */
  static String summary(String headline) {
    List<String> parts = new ArrayList<>();
    for (String line : headline.split("\n")) {
      if (line.startsWith("Nothing to do on the host") || line.startsWith("No changes")) {
        parts.add("nothing");
      } else if (line.startsWith("Host reinstall: yes")) {
        parts.add("reinstall");
      } else if (line.startsWith("Host reboot: yes")) {
        parts.add("reboot");
      } else if (line.startsWith("Applied on the running host")) {
        parts.add("runtime");
      } else if (line.startsWith("VMs to shut down and start again: ") && !line.endsWith(": none")) {
        parts.add("restart:" + names(line));
      } else if (line.startsWith("VMs to rebuild on a new base image: ")) {
        parts.add("rebuild:" + names(line));
      } else if (line.startsWith("New VMs: ")) {
        parts.add("new:" + names(line));
      } else if (line.startsWith("VMs to remove: ")) {
        parts.add("gone:" + names(line));
      }
    }
    return String.join(" ", parts);
  }

  private static String names(String line) {
    String list = line.substring(line.indexOf(": ") + 2);
    int paren = list.indexOf(" (");
    return (paren < 0 ? list : list.substring(0, paren)).replace(", ", ",");
  }

  /** Every file of every example's bundle, and of hosts the examples do not cover, is named by a rule. */
  @Test
  void everyArtifactHasARule() throws IOException {
    List<String> unnamed = new ArrayList<>();
    int files = 0;
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        String text = Files.readString(p);
        List<String> variants = new ArrayList<>(List.of(text));
        // A kernel older than 5.16 gets rtc-hugepages.service; a host without CAT gets no resctrl files.
        variants.add(text.replace("hugepages: 1G ", "hugepages: 1G \n    # old kernel\n").replace("kernel: {realtime: distro}",
            "kernel: {realtime: package, package: linux-image-5.10.0-rt-amd64}"));
        for (String v : variants) {
          for (String path : compile(p.getFileName().toString(), v).files().keySet()) {
            files++;
            if (Consequences.ruleFor(path).isEmpty()) {
              unnamed.add(p.getFileName() + ": " + path);
            }
          }
        }
      }
    }
    assertThat(unnamed).as("bundle files no rule of Consequences.ARTIFACTS names (%d files looked at)", files).isEmpty();
    assertThat(Consequences.ruleFor("vms/x/domain.xml").orElseThrow().cost()).isEqualTo(Consequences.Cost.VM_RESTART);
    assertThat(Consequences.ruleFor("host/something-new.conf")).as("an unknown file has no rule").isEmpty();
  }

  static Bundle compile(String name, String text) {
    try {
      return new Compiler().compile(new ManifestLoader.Source(name, text.getBytes(StandardCharsets.UTF_8))).bundle();
    } catch (dev.rtc.manifest.diagnostics.ManifestException e) {
      throw new AssertionError(name + " does not compile: " + e.diagnostics().stream().map(d -> d.render()).toList(), e);
    }
  }
}
