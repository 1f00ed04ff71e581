package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Folders;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a pipeline sees it: exit codes, diagnostics on stderr, and what is on disk after. */
class CliTest {

  static final Path EXAMPLE = Path.of("examples/eci-reference.yaml").toAbsolutePath();
  static final int FILES = new dev.rtc.Compiler().compile(EXAMPLE).bundle().files().size();

  @TempDir Path tmp;

  record Outcome(int exit, String out, String err) {}

  static Outcome rtc(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Outcome(exit, out.toString(), err.toString());
  }

  @Test
  void compileWritesTheWholeBundleWithItsMarker() {
    Path out = tmp.resolve("out");
    Outcome o = rtc("compile", EXAMPLE.toString(), "-o", out.toString());
    assertThat(o.exit()).as(o.err()).isZero();
    assertThat(o.out()).contains("rtc: wrote " + FILES + " files to " + out);
    assertThat(out.resolve(".rtc-bundle")).exists();
    assertThat(out.resolve("vms/debian12-rt/domain.xml")).content().contains("<cachetune vcpus=\"1-7\">");
    assertThat(Files.isExecutable(out.resolve("runbook.sh"))).isTrue();
    assertThat(Files.isExecutable(out.resolve("plan.md"))).isFalse();
    try (Stream<Path> s = listSiblings(tmp)) {
      assertThat(s).as("no temporary folders left behind").containsExactly(out);
    }
  }

  /** user-data holds the guests' password hash (and a proxy's credentials): owner-only, whatever the umask. */
  @Test
  void userDataIsTheOwnersAlone() throws IOException {
    Path out = tmp.resolve("out");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", out.toString()).exit()).isZero();
    for (String vm : List.of("debian12-rt", "debian12-stress")) {
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("vms/" + vm + "/user-data"))))
          .as(vm).isEqualTo("rw-------");
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("vms/" + vm + "/meta-data"))))
          .isEqualTo("rw-r--r--");
    }
  }

  @Test
  void compilingTwiceGivesTheSameBytesAndReplacesAnOldBundle() throws IOException {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", a.toString()).exit()).isZero();
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", b.toString()).exit()).isZero();
    assertThat(Folders.snapshot(a)).isEqualTo(Folders.snapshot(b));

    Files.writeString(a.resolve("notes.txt"), "a file rtc did not write");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", a.toString()).exit()).isZero();
    Map<String, String> again = Folders.snapshot(a);
    assertThat(again.remove("notes.txt")).as("what rtc did not write stays").isEqualTo("a file rtc did not write");
    assertThat(again).as("rtc's own files are replaced").isEqualTo(Folders.snapshot(b));

    // A VM removed from the manifest: its files were rtc's, so they go.
    String oneVm = Files.readString(EXAMPLE);
    oneVm = oneVm.substring(0, oneVm.indexOf("  - name: debian12-stress")) + oneVm.substring(oneVm.indexOf("benchmark:"));
    assertThat(rtc("compile", Files.writeString(tmp.resolve("one-vm.yaml"), oneVm).toString(), "-o", a.toString()).exit()).isZero();
    assertThat(a.resolve("vms/debian12-stress")).doesNotExist();
    assertThat(a.resolve("notes.txt")).exists();
  }

  @Test
  void yamlSyntaxErrorIsLocatedAndWritesNothing() throws IOException {
    Path m = Files.writeString(tmp.resolve("broken.yaml"), "apiVersion: rtc/v1\nname: x\nhost: [\n");
    Path out = tmp.resolve("out");
    Outcome o = rtc("compile", m.toString(), "-o", out.toString());
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(o.err()).containsPattern(java.util.regex.Pattern.quote(m.toString()) + ":3:\\d+: error\\[RTC002\\]: ")
        .contains("nothing was written")
        .doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(out).doesNotExist();
  }

  @Test
  void everySchemaErrorIsReportedAtOnceWithLocationsAndSuggestions() throws IOException {
    String text = Files.readString(EXAMPLE)
        .replace("threadsPerCore: 1", "threadPerCore: 1")
        .replace("duration: 24h", "duration: forever")
        .replace("memory: 8 GiB\n    emulator", "memory: lots\n    emulator");
    Path m = Files.writeString(tmp.resolve("typos.yaml"), text);
    Outcome o = rtc("compile", m.toString(), "-o", tmp.resolve("out").toString());
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    int typoLine = lineOf(text, "threadPerCore");
    assertThat(o.err())
        .contains(m + ":" + typoLine + ":5: error[RTC010]: host.topology.threadPerCore: unknown key 'threadPerCore' (hint: did you mean 'threadsPerCore'?)")
        .contains(m + ":" + lineOf(text, "duration: forever") + ":13: error[RTC013]: benchmark.duration: 'forever'")
        .contains(m + ":" + lineOf(text, "memory: lots") + ":13: error[RTC0")
        .contains("vms[0].memory");
    assertThat(tmp.resolve("out")).doesNotExist();
  }

  @Test
  void aBadManifestLeavesTheExistingBundleExactlyAsItWas() throws IOException {
    Path out = tmp.resolve("out");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", out.toString()).exit()).isZero();
    Map<String, String> before = Folders.snapshot(out);
    Path bad = Files.writeString(tmp.resolve("bad.yaml"), Files.readString(EXAMPLE).replace("vcpus: 8", "vcpus: 0"));
    Outcome o = rtc("compile", bad.toString(), "-o", out.toString());
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(Folders.snapshot(out)).isEqualTo(before);
  }

  @Test
  void aFolderRtcDidNotWriteIsRefusedUnlessForced() throws IOException {
    Path out = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(out.resolve("thesis.tex"), "years of work");
    Outcome o = rtc("compile", EXAMPLE.toString(), "-o", out.toString());
    assertThat(o.exit()).isEqualTo(Main.USAGE);
    assertThat(o.err()).contains("was not written by rtc").contains("--force");
    assertThat(out.resolve("thesis.tex")).content().isEqualTo("years of work");
    assertThat(out.resolve("plan.md")).doesNotExist();

    // --force writes the bundle there, and keeps what was there: rtc deletes only files it wrote.
    Outcome forced = rtc("compile", EXAMPLE.toString(), "-o", out.toString(), "--force");
    assertThat(forced.exit()).as(forced.err()).isZero();
    assertThat(out.resolve("plan.md")).exists();
    assertThat(out.resolve("thesis.tex")).content().isEqualTo("years of work");
  }

  @Test
  void aMissingManifestOrADirectoryIsAManifestErrorWithoutATrace() {
    Outcome missing = rtc("compile", tmp.resolve("nope.yaml").toString(), "-o", tmp.resolve("out").toString());
    assertThat(missing.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(missing.err()).contains("nope.yaml: error[RTC001]: no such file");
    Outcome dir = rtc("validate", tmp.toString());
    assertThat(dir.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(dir.err()).contains("error[RTC001]: is a directory");
    // compile takes a folder as a fleet; one without manifests is a usage error.
    Outcome empty = rtc("compile", tmp.toString(), "-o", tmp.resolve("out").toString());
    assertThat(empty.exit()).isEqualTo(Main.USAGE);
    assertThat(empty.err()).contains("no *.yaml manifests in");
    assertThat(missing.err() + dir.err()).doesNotContain("\tat ");
  }

  @Test
  void anUnwritableOutputIsAPlainErrorWithoutATrace() throws IOException {
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    Outcome o = rtc("compile", EXAMPLE.toString(), "-o", file.resolve("out").toString());
    assertThat(o.exit()).isEqualTo(Main.IO);
    assertThat(o.err()).startsWith("rtc: cannot write " + file.resolve("out")).contains("nothing was changed").doesNotContain("\tat ");
  }

  @Test
  void usageErrorsExitTwo() {
    Outcome noOutput = rtc("compile", EXAMPLE.toString());
    assertThat(noOutput.exit()).isEqualTo(Main.USAGE);
    assertThat(noOutput.err()).isEqualTo("rtc compile: missing required option: '--output=DIR'\nRun 'rtc compile --help' for usage.\n");
    assertThat(rtc("frobnicate").exit()).isEqualTo(Main.USAGE);
    assertThat(rtc().exit()).isEqualTo(Main.USAGE);
  }

  @Test
  void validateWritesNothingAndSchemaPrintsTheSchema() {
    Outcome v = rtc("validate", EXAMPLE.toString());
    assertThat(v.exit()).as(v.err()).isZero();
    assertThat(v.out()).contains("is valid");
    Outcome s = rtc("schema");
    assertThat(s.exit()).isZero();
    assertThat(s.out()).contains("\"$schema\"").contains("http://json-schema.org/draft-07/schema#").contains("\"additionalProperties\"");
    assertThat(rtc("--version").out()).startsWith("rtc ");
  }

  @Test
  void jsonDiagnosticsAreOneDocumentOnStdoutWithTheDocumentedShape() throws IOException {
    Path m = Files.writeString(tmp.resolve("bad.yaml"), Files.readString(EXAMPLE).replace("vcpus: 8 ", "vcpus: 0 ")
        .replace("threadsPerCore: 1", "threadPerCore: 1"));
    Outcome o = rtc("compile", m.toString(), "-o", tmp.resolve("out").toString(), "--diagnostics=json");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    var doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(o.out());
    assertThat(doc.get("version").asInt()).isEqualTo(1);
    assertThat(doc.get("manifest").asText()).isEqualTo(m.toString());
    assertThat(doc.get("ok").asBoolean()).isFalse();
    assertThat(doc.get("errors").asInt()).isEqualTo(2);
    assertThat(doc.get("output").isNull()).isTrue();
    var first = doc.get("diagnostics").get(0);
    assertThat(first.get("severity").asText()).isEqualTo("error");
    assertThat(first.get("code").asText()).isEqualTo("RTC010");
    assertThat(first.get("line").asInt()).isEqualTo(lineOf(Files.readString(m), "threadPerCore"));
    assertThat(first.get("column").asInt()).isEqualTo(5);
    assertThat(first.get("path").asText()).isEqualTo("host.topology.threadPerCore");
    assertThat(first.get("hint").asText()).contains("threadsPerCore");
    var fieldNames = new java.util.ArrayList<String>();
    first.fieldNames().forEachRemaining(fieldNames::add);
    assertThat(fieldNames).containsExactly("severity", "code", "summary", "file", "line", "column", "path", "message", "hint");
    assertThat(doc.get("diagnostics").get(1).get("code").asText()).isEqualTo("RTC014");

    Outcome good = rtc("compile", EXAMPLE.toString(), "-o", tmp.resolve("good").toString(), "--diagnostics=json");
    assertThat(good.exit()).isZero();
    var ok = new com.fasterxml.jackson.databind.ObjectMapper().readTree(good.out());
    assertThat(ok.get("ok").asBoolean()).isTrue();
    assertThat(ok.get("output").asText()).isEqualTo(tmp.resolve("good").toString());
    assertThat(good.err()).contains("rtc: wrote");
  }

  @Test
  void githubAnnotationsCarryFileLineColumnAndEscapeTheirProperties() throws IOException {
    Path m = Files.writeString(tmp.resolve("warn.yaml"), Files.readString(EXAMPLE)
        .replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {numaNode: 0}"));
    Outcome o = rtc("validate", m.toString(), "--diagnostics=github");
    assertThat(o.exit()).isZero();
    int line = lineOf(Files.readString(m), "placement: {numaNode: 0}");
    assertThat(o.out()).contains("::warning file=" + m + ",line=" + line + ",col=16,title=RTC063 placement compromise%3A a stressor "
        + "beside a real-time VM%2C or remote emulator threads::vms[1].placement: debian12-stress shares NUMA node 0");
    assertThat(o.err()).contains("warning[RTC063]");
  }

  @Test
  void warningsAsErrorsFailsTheCompileAndWritesNothing() throws IOException {
    Path m = Files.writeString(tmp.resolve("warn.yaml"), Files.readString(EXAMPLE)
        .replace("    workload: kernel-build", "    workload: kernel-build\n    placement: {numaNode: 0}"));
    Path out = tmp.resolve("out");
    Outcome strict = rtc("compile", m.toString(), "-o", out.toString(), "--warnings-as-errors");
    assertThat(strict.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(strict.err()).contains("error[RTC063]").contains("[--warnings-as-errors]").contains("1 error; nothing was written");
    assertThat(out).doesNotExist();
    Outcome lenient = rtc("compile", m.toString(), "-o", out.toString());
    assertThat(lenient.exit()).isZero();
    assertThat(lenient.err()).contains("warning[RTC063]");
    assertThat(out.resolve("plan.md")).exists();
  }

  @Test
  void checkSaysUpToDateOrShowsAUnifiedDiffAndNeverWrites() throws IOException {
    Path out = tmp.resolve("out");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", out.toString()).exit()).isZero();
    Outcome same = rtc("compile", EXAMPLE.toString(), "-o", out.toString(), "--check");
    assertThat(same.exit()).as(same.err()).isZero();
    assertThat(same.out()).contains("is up to date");

    Files.writeString(out.resolve("plan.md"), Files.readString(out.resolve("plan.md")).replace("debian12-rt", "debian12-rx"));
    Files.writeString(out.resolve("notes.txt"), "mine");
    Files.delete(out.resolve("vms/debian12-rt/meta-data"));
    Map<String, String> before = Folders.snapshot(out);
    Outcome stale = rtc("compile", EXAMPLE.toString(), "-o", out.toString(), "--check");
    assertThat(stale.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(stale.out()).contains("--- a/plan.md\n+++ b/plan.md\n@@ ")
        .contains("-### 1. debian12-rx (realtime").contains("+### 1. debian12-rt (realtime")
        .contains("also holds 1 file rtc did not write, which a compile keeps: notes.txt")
        .doesNotContain("not in the compiled bundle: notes.txt")
        .contains("missing on disk: vms/debian12-rt/meta-data")
        .contains("is out of date with " + EXAMPLE + ": 2 files differ");
    assertThat(Folders.snapshot(out)).as("--check writes nothing").isEqualTo(before);

    Outcome absent = rtc("compile", EXAMPLE.toString(), "-o", tmp.resolve("never").toString(), "--check");
    assertThat(absent.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(tmp.resolve("never")).doesNotExist();
  }

  @Test
  void checkShowsTheFilesThatReallyChangedAndListsThoseWhereOnlyTheProvenanceHeaderDid() throws IOException {
    Path out = tmp.resolve("out");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", out.toString()).exit()).isZero();

    // A comment edit changes the manifest's checksum, so every file's header, and nothing else.
    Path commented = Files.writeString(tmp.resolve("eci-reference.yaml"), Files.readString(EXAMPLE) + "# reviewed\n");
    Outcome comment = rtc("compile", commented.toString(), "-o", out.toString(), "--check");
    assertThat(comment.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(comment.out()).doesNotContain("--- a/").doesNotContain("@@ ")
        .contains("26 files differ only in the provenance header (the manifest's checksum): README.md, host/grub/99-rtc.cfg, ")
        .contains("SHA256SUMS differs with the files above")
        .contains(": 27 files differ");

    // A real change: its diff in full, the header-only files in one line.
    Path bigger = Files.writeString(tmp.resolve("eci-reference.yaml"), Files.readString(EXAMPLE).replaceFirst("memory: 8 GiB", "memory: 6 GiB"));
    Outcome changed = rtc("compile", bigger.toString(), "-o", out.toString(), "--check");
    assertThat(changed.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(changed.out()).contains("--- a/vms/debian12-rt/domain.xml").contains("+    <memory unit=\"KiB\">6291456</memory>")
        .doesNotContain("--- a/runbook.sh").containsPattern("files differ only in the provenance header \\(the manifest's checksum\\): [^\\n]*runbook\\.sh");
  }

  @Test
  void aFleetCompilesEachManifestIntoItsOwnFolderAndABadOneStopsOnlyItself() throws IOException {
    Path hosts = Files.createDirectories(tmp.resolve("hosts"));
    String ref = Files.readString(EXAMPLE);
    for (int i = 1; i <= 6; i++) {
      Files.writeString(hosts.resolve("host-" + i + ".yaml"), ref.replace("name: eci-reference", "name: line-" + i));
    }
    Files.writeString(hosts.resolve("host-7.yaml"), ref.replace("name: eci-reference", "name: line-7").replace("vcpus: 8 ", "vcpus: 40 "));
    Files.writeString(hosts.resolve("README.txt"), "not a manifest");
    Path out = tmp.resolve("out");
    Outcome o = rtc("compile", hosts.toString(), "-o", out.toString(), "-j", "3");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    for (int i = 1; i <= 6; i++) {
      assertThat(out.resolve("line-" + i + "/vms/debian12-rt/domain.xml")).exists();
      assertThat(o.out()).contains("rtc: wrote " + FILES + " files to " + out.resolve("line-" + i));
    }
    assertThat(out.resolve("line-7")).doesNotExist();
    assertThat(o.err()).contains(hosts.resolve("host-7.yaml") + ":").contains("error[RTC060]");
    // Input order, whatever the threads did.
    assertThat(o.out().indexOf("line-1")).isLessThan(o.out().indexOf("line-6"));

    // The same bytes as compiling each alone.
    Path alone = tmp.resolve("alone");
    assertThat(rtc("compile", hosts.resolve("host-3.yaml").toString(), "-o", alone.toString()).exit()).isZero();
    assertThat(Folders.snapshot(out.resolve("line-3"))).isEqualTo(Folders.snapshot(alone));
  }

  @Test
  void twoManifestsNamingOneBundleAreBothRefused() throws IOException {
    Path a = Files.writeString(tmp.resolve("a.yaml"), Files.readString(EXAMPLE));
    Path b = Files.writeString(tmp.resolve("b.yaml"), Files.readString(EXAMPLE));
    Path out = tmp.resolve("out");
    Outcome o = rtc("compile", a.toString(), b.toString(), "-o", out.toString());
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(o.err()).contains("bundle name 'eci-reference' is also the name in");
    assertThat(out.resolve("eci-reference")).doesNotExist();
  }

  @Test
  void explainPrintsTheSameMapsAndDecisionsAsPlanMd() throws IOException {
    Outcome o = rtc("explain", EXAMPLE.toString());
    assertThat(o.exit()).as(o.err()).isZero();
    String planMd = Files.readString(Path.of("golden/eci-reference/plan.md"));
    for (String line : planMd.split("\n")) {
      if (line.startsWith("node ") || line.startsWith("instance ")) {
        assertThat(o.out()).as("explain shows the map line of plan.md").contains("  " + line);
      }
      if (line.startsWith("- **")) {
        String what = line.substring(4, line.indexOf(". *Why:*")).replace("**: ", ": ");
        assertThat(o.out()).as("explain shows the decision").contains("  - " + what + ".");
      }
    }
    assertThat(o.out()).contains("host asked 8 MiB, keeps 2 ways: L3:0=0003;1=0003");
    Outcome bad = rtc("explain", Path.of("src/test/resources/bad/solve-too-many-vcpus.yaml").toString());
    assertThat(bad.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(bad.err()).contains("error[RTC060]");
  }

  @Test
  void diffSaysWhatChangesOnTheHostAndWhatItCosts() throws IOException {
    String ref = Files.readString(EXAMPLE);
    Path widened = Files.writeString(tmp.resolve("new.yaml"), ref.replace("housekeeping: \"0-3\" ", "housekeeping: \"0-5\" ")
        .replace("    cache: 8 MiB                  # exclusive", "    cache: 12 MiB                 # exclusive"));
    Outcome o = rtc("diff", EXAMPLE.toString(), widened.toString());
    assertThat(o.exit()).as(o.err()).isEqualTo(1);
    // The consequences first, as a reviewer asks them.
    assertThat(o.out()).startsWith("Host reboot: yes (the kernel command line changes)\n"
        + "Applied on the running host, no reboot: TuneD profile rtc-eci-reference (applied at once); host/systemd/rtc-metrics.service: "
        + "the metrics timer, which runbook.sh host installs and starts (./runbook.sh host)\n"
        + "VMs to shut down and start again: "
        + "debian12-rt, debian12-stress (virsh shutdown, then virsh start: a guest reboot keeps the old definition and cache group)\n\n");
    assertThat(o.out())
        .contains("Host reboot (./runbook.sh host, reboot, then ./runbook.sh all):\n  the kernel command line changes\n"
            + "    irqaffinity=0-3 -> irqaffinity=0-5\n    isolcpus=managed_irq,domain,4-63 -> isolcpus=managed_irq,domain,6-63\n")
        .contains("VM debian12-rt:\n  vCPU pins: [4,6,8,10,12,14,16,18] -> [6,8,10,12,14,16,18,20]\n"
            + "  L3 cache: id 0: 2 ways, mask 000c -> id 0: 3 ways, mask 001c\n"
            + "  domain.xml changed: the VM's definition: virsh define, then a fresh start\n")
        .contains("  emulator CPUs: 1,3 -> 1,3,5\n")
        .doesNotContain("resctrl default group");

    // A comment in the manifest changes every provenance header, and nothing on the host.
    Path comment = Files.writeString(tmp.resolve("comment.yaml"), ref.replace("# The reference system", "# Edited. The reference system"));
    Path golden = dev.rtc.emit.Folders.goldenBundle("eci-reference", tmp.resolve("golden"));
    Outcome c = rtc("diff", golden.toString(), comment.toString());
    assertThat(c.exit()).as(c.out() + c.err()).isZero();
    assertThat(c.out()).startsWith("Nothing to do on the host: only comments and provenance headers changed.")
        .contains("vms/debian12-rt/meta-data").doesNotContain("Other files whose content changed");

    Outcome same = rtc("diff", golden.toString(), EXAMPLE.toString());
    assertThat(same.exit()).isZero();
    assertThat(same.out()).isEqualTo("No changes: the bundles are identical.\n");

    Outcome notBundle = rtc("diff", tmp.toString(), EXAMPLE.toString());
    assertThat(notBundle.exit()).isEqualTo(Main.USAGE);
    assertThat(notBundle.err()).contains("has no plan.json");
  }

  /** host.power in a diff: the mode with the command line it changes (a reboot), and the CPUs TuneD holds (no reboot). */
  @Test
  void diffNamesThePowerChoiceAndWhatItCosts() throws IOException {
    String ref = Files.readString(EXAMPLE);
    String balanced = ref.replace("housekeeping: \"0-3\" ", "power: balanced\n  housekeeping: \"0-3\" ");
    assertThat(balanced).isNotEqualTo(ref);
    Path b = Files.writeString(tmp.resolve("balanced.yaml"), balanced);
    Outcome o = rtc("diff", EXAMPLE.toString(), b.toString());
    assertThat(o.exit()).as(o.err()).isEqualTo(1);
    assertThat(o.out()).startsWith("Host reboot: yes (the kernel command line changes)\n")
        .contains("  the kernel command line changes\n    host.power: lowest-latency -> balanced\n"
            + "    - intel_idle.max_cstate=0\n    - intel_pstate=disable\n    - processor.max_cstate=1\n")
        .contains("  CPUs held awake (TuneD): 0-63 -> 4,6,8,10,12,14,16,18,56,58,60,62\n")
        .contains("  host/tuned/rtc-eci-reference/tuned.conf: the host's TuneD profile")
        .contains("VMs to shut down and start again: none");
    assertThat(rtc("explain", b.toString()).out().lines().skip(1).findFirst()).contains("Power: balanced: CPUs "
        + "4,6,8,10,12,14,16,18,56,58,60,62 held out of deep C-states at full clock (the real-time VMs'); CPUs "
        + "0-3,5,7,9,11,13,15,17,19-55,57,59,61,63 sleep and clock down");

    // Under balanced, a real-time VM on other CPUs moves what TuneD holds, and the command line stays.
    Path smaller = Files.writeString(tmp.resolve("smaller.yaml"), balanced.replace("    vcpus: 8 ", "    vcpus: 6 "));
    Outcome m = rtc("diff", b.toString(), smaller.toString());
    assertThat(m.out()).startsWith("Host reboot: no\n")
        .contains("CPUs held awake (TuneD): 4,6,8,10,12,14,16,18,56,58,60,62 -> ")
        .doesNotContain("host.power:");
  }

  /** --check opens with what the change costs on the host and summarises the plan's picture instead of diffing its SVG. */
  @Test
  void checkOpensWithTheConsequencesAndSummarisesThePicture() throws IOException {
    Path six = Files.writeString(tmp.resolve("six.yaml"), Files.readString(EXAMPLE).replace("    vcpus: 8 ", "    vcpus: 6 "));
    Outcome o = rtc("compile", six.toString(), "-o", dev.rtc.emit.Folders.goldenBundle("eci-reference", tmp.resolve("golden")).toString(),
        "--check");
    assertThat(o.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(o.out()).startsWith("Host reboot: no\nVMs to shut down and start again: debian12-rt (")
        .contains("rtc: what differs: README.md, plan.html, plan.json, plan.md, runbook.sh, vms/debian12-rt/domain.xml")
        .contains("rtc: plan.html differs: the plan's picture, drawn again from the plan; not shown line by line")
        .doesNotContain("+++ b/plan.html").doesNotContain("<rect");
  }

  @Test
  void migrateKnowsTheCurrentVersionAndRefusesAnUnknownOne() throws IOException {
    Outcome current = rtc("migrate", EXAMPLE.toString());
    assertThat(current.exit()).isZero();
    assertThat(current.out()).contains("is already rtc/v1; nothing to migrate");
    Path future = Files.writeString(tmp.resolve("v9.yaml"), Files.readString(EXAMPLE).replace("apiVersion: rtc/v1", "apiVersion: rtc/v9"));
    Outcome unknown = rtc("migrate", future.toString());
    assertThat(unknown.exit()).isEqualTo(Main.MANIFEST_ERRORS);
    assertThat(unknown.err()).contains("apiVersion 'rtc/v9' is not one this rtc knows; this rtc reads rtc/v1");
    assertThat(rtc("schema").out()).contains("\"$id\": \"https://rtc.dev/schemas/manifest-v1.schema.json\"");
    assertThat(Files.readString(EXAMPLE)).startsWith("# yaml-language-server: $schema=../schemas/manifest.schema.json");
  }

  @Test
  void everyCommandHasHelpWithAnExample() {
    Main.commandLine().getSubcommands().forEach((name, sub) -> {
      if (!name.equals("help")) {
        Outcome help = rtc(name, "--help");
        assertThat(help.exit()).as(name).isZero();
        assertThat(help.out()).as("rtc %s --help", name).contains("Usage: rtc " + name).containsPattern("Examples?:\\n  rtc ");
      }
    });
    assertThat(rtc("--version").out()).matches("rtc \\d+\\.\\d+\\.\\d+\\s*");
  }

  @Test
  void reportJudgesABundlesResultsByItsPlanAndExitsByTheVerdict() throws IOException {
    Path stored = Path.of("src/test/resources/cyclictest");
    Path out = tmp.resolve("out");
    assertThat(rtc("compile", EXAMPLE.toString(), "-o", out.toString()).exit()).isZero();
    Files.createDirectories(out.resolve("results"));
    Files.copy(stored.resolve("histogram-2threads.txt"), out.resolve("results/cyclictest.txt"));
    Outcome unqualified = rtc("report", out.toString());
    assertThat(unqualified.exit()).as("no qualification record of the platform: no verdict").isEqualTo(3);
    assertThat(unqualified.out()).startsWith("RESULT: NO VERDICT").contains("the run has no qualification record of the platform");
    Files.createDirectories(out.resolve("results/host"));
    Files.copy(Path.of("src/test/resources/verdicts/great/results/host/qualify.json"), out.resolve("results/host/qualify.json"));
    Outcome planned = rtc("report", out.toString());
    assertThat(planned.exit()).as(planned.err()).isEqualTo(1);
    assertThat(planned.out()).startsWith("RESULT: FAIL").contains("the plan runs 4 measuring threads, the output has 2")
        .contains("86400000");
    assertThat(out.resolve("results/report.html")).exists();
    assertThat(out.resolve("results/report.json")).content().contains("\"verdict\" : \"fail\"");

    Path odd = Files.copy(stored.resolve("histogram-2threads.txt"), tmp.resolve("run <b>&1.txt"));
    Outcome good = rtc("report", odd.toString(), "--great", "100", "--good", "300", "-o", tmp.resolve("r").toString());
    assertThat(good.exit()).as(good.err()).isZero();
    assertThat(good.out()).startsWith("RESULT: GOOD");
    assertThat(tmp.resolve("r/report.html")).content().contains("run &lt;b&gt;&amp;1.txt").doesNotContain("<b>&1");
    assertThat(rtc("report", odd.toString(), "--great", "100", "--good", "300", "-o", tmp.resolve("r").toString(), "--require", "great")
        .exit()).isEqualTo(1);

    Outcome cut = rtc("report", stored.resolve("truncated-histogram.txt").toString(), "--great", "100", "--good", "300", "-o",
        tmp.resolve("cut").toString());
    assertThat(cut.exit()).as("cut-short output is a FAIL, as the runbook judges it").isEqualTo(1);
    assertThat(cut.out()).startsWith("RESULT: FAIL").contains("truncated-histogram.txt:150: the histogram ends without its '# Total:'");
    assertThat(tmp.resolve("cut")).doesNotExist();
  }

  /** What is in {@code dir} but the folder locks (.NAME.rtc-lock, which stay). */
  private static Stream<Path> listSiblings(Path dir) {
    try {
      return Files.list(dir).filter(p -> !p.getFileName().toString().endsWith(".rtc-lock"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
  private static int lineOf(String text, String needle) {
    return text.substring(0, text.indexOf(needle)).split("\n", -1).length;
  }
}
