package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.plan.Plan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * host.cacheOwner: resctrl. rtc's boot unit makes one group per real-time VM, by CPU; libvirt gets
 * no cachetune (its group would take the vCPU threads away from the CPU group); L2 CAT works only
 * this way. The runbook checks the groups the unit made.
 */
@Slow
class RtcOwnedGroupsTest {

  static Compiler.Result compile(String text) {
    return new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
  }

  static String atom() throws IOException {
    return Files.readString(Path.of("examples/atom-l2cat.yaml"));
  }

  @Test
  void anAtomsL2GroupIsMadeByTheUnitNotByLibvirt() throws IOException {
    Compiler.Result r = compile(atom());
    Plan.CachePlan cache = r.plan().cache().orElseThrow();
    assertThat(cache.level()).isEqualTo(2);
    assertThat(cache.rtcOwned()).isTrue();
    assertThat(cache.schemataLine()).isEqualTo("L2:0=0000f;1=0000f");
    Map<String, String> files = texts(r);
    assertThat(files.get("host/resctrl/rtc-rt/cpus_list")).isEqualTo("5-7\n");
    // Module 0 keeps the default group's ways, module 1 the VM's 8 ways above them.
    assertThat(files.get("host/resctrl/rtc-rt/schemata")).isEqualTo("L2:0=0000f;1=00ff0\n");
    assertThat(files.get("vms/rt/domain.xml")).doesNotContain("cachetune").doesNotContain("memorytune");
    assertThat(files.get("host/systemd/rtc-resctrl.service"))
        .contains("ExecStart=-/bin/mkdir /sys/fs/resctrl/rtc-rt\n")
        .contains("ExecStart=/bin/sh -c 'exec cat /etc/rtc/resctrl/rtc-rt/cpus_list > /sys/fs/resctrl/rtc-rt/cpus_list'\n");
    assertThat(files.get("plan.md")).contains("## L2 way map");
    assertThat(files.get("plan.json")).contains("\"l2\" : {").contains("\"vmGroupsMadeBy\" : \"rtc\"").contains("\"group\" : \"rtc-rt\"");
  }

  @Test
  void anL3HostCanHaveRtcMakeTheGroupsWithTheirBandwidth() throws IOException {
    String m = Files.readString(Path.of("examples/eci-reference.yaml")).replace("  cache: 8 MiB                    # L3 kept",
        "  cacheOwner: resctrl\n  cache: 8 MiB                    # L3 kept");
    Compiler.Result r = compile(m);
    Map<String, String> files = texts(r);
    assertThat(files.get("vms/debian12-rt/domain.xml")).doesNotContain("<cachetune").doesNotContain("<memorytune");
    // The real-time vCPUs 1-7 run on 6-18 (vCPU 0 on 4 stays in the default group, as with libvirt's cachetune).
    assertThat(files.get("host/resctrl/rtc-debian12-rt/cpus_list")).isEqualTo("6,8,10,12,14,16,18\n");
    assertThat(files.get("host/resctrl/rtc-debian12-rt/schemata")).isEqualTo("L3:0=000c;1=0003\nMB:0=100\n");
  }

  @Test
  void l2CatWithoutRtcOwningTheGroupsIsRefused() throws IOException {
    List<Diagnostic> e = errors(atom().replace("  cacheOwner: resctrl ", "  # cacheOwner: resctrl "));
    assertThat(e).extracting(Diagnostic::code).containsExactly(Code.RTC043);
    assertThat(e.get(0).message()).contains("libvirt cannot allocate L2");
    assertThat(e.get(0).hint()).contains("host.cacheOwner: resctrl");
  }

  /** verify reads the VM's group where rtc made it, /sys/fs/resctrl/rtc-<vm>, not libvirt's qemu-* group. */
  @Test
  void verifyReadsRtcsGroup(@TempDir Path dir) throws IOException {
    Tool bash = Tool.require("bash");
    Compiler.Result r = compile(atom());
    Path bundle = writeOut(texts(r), dir.resolve("out"));
    FakeHost h = FakeHost.of(dir.resolve("root"), r.plan()).booted().vmsRunning();
    h.write("sys/fs/resctrl/rtc-rt/schemata", "L2:0=0000f;1=00ff0\n");
    Tool.Run ok = bash.run(bundle, h.env(), "./runbook.sh", "verify");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("ok: rt: cache group L2:0=0000f;1=00ff0");

    h.write("sys/fs/resctrl/rtc-rt/schemata", "L2:0=0000f;1=0000f\n");
    Tool.Run wrong = bash.run(bundle, h.env(), "./runbook.sh", "verify");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.out() + wrong.err()).contains("rt cache group is 'L2:0=0000f;1=0000f', planned 'L2:0=0000f;1=00ff0'");
  }

  /** rtc diff puts a change to rtc's own group with the boot unit, not with a VM restart. */
  @Test
  void diffSendsGroupChangesToTheUnit(@TempDir Path dir) throws IOException {
    Path before = dir.resolve("before.yaml");
    Path after = dir.resolve("after.yaml");
    Files.writeString(before, atom());
    Files.writeString(after, atom().replace("    cache: 2 MiB                  # 8 of", "    cache: 3 MiB                  # 8 of"));
    java.io.StringWriter out = new java.io.StringWriter();
    int code = dev.rtc.cli.Main.run(new String[] {"diff", before.toString(), after.toString()}, new java.io.PrintWriter(out),
        new java.io.PrintWriter(new java.io.StringWriter()));
    assertThat(code).isEqualTo(1);
    assertThat(out.toString()).startsWith("Host reboot: no\nApplied on the running host, no reboot: rtc-resctrl (systemctl restart "
        + "rtc-resctrl) (./runbook.sh host)\nVMs to shut down and start again: none\n")
        .contains("Applied on the running host (./runbook.sh host; no reboot):\n  rtc-resctrl (systemctl restart rtc-resctrl)\n"
        + "    group rtc-rt L2 cache: id 1: 8 ways, mask 00ff0 -> id 1: 12 ways, mask 0fff0\n").doesNotContain("VM rt:");
  }

  static List<Diagnostic> errors(String text) {
    try {
      compile(text);
    } catch (ManifestException ex) {
      return ex.diagnostics().stream().filter(Diagnostic::isError).toList();
    }
    throw new AssertionError("the manifest must be refused");
  }

  /** check-host reads the groups the unit made back from a (fake) resctrl tree. */
  @Test
  void checkHostFindsAGroupWithTheWrongCpus(@TempDir Path dir) throws IOException {
    Tool bash = Tool.require("bash");
    Compiler.Result r = compile(atom());
    Path bundle = writeOut(texts(r), dir.resolve("out"));
    FakeHost h = FakeHost.of(dir.resolve("root"), r.plan()).booted();
    h.write("sys/fs/resctrl/schemata", "L2:0=f;1=0000f\n");
    h.write("sys/fs/resctrl/rtc-rt/cpus_list", "5-7\n");
    h.write("sys/fs/resctrl/rtc-rt/schemata", "L2:0=0000f;1=00ff0\n");
    Tool.Run ok = bash.run(bundle, h.env(), "./runbook.sh", "check-host");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).contains("ok: host: resctrl default group L2:0=0000f;1=0000f").contains("ok: host: resctrl group rtc-rt on CPUs 5-7");

    h.write("sys/fs/resctrl/rtc-rt/cpus_list", "4-7\n");
    Tool.Run wrong = bash.run(bundle, h.env(), "./runbook.sh", "check-host");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.out() + wrong.err()).contains("resctrl group rtc-rt on CPUs 5-7: /sys/fs/resctrl/rtc-rt/cpus_list is '4-7', planned '5-7' (systemctl status rtc-resctrl)");

    h.delete("sys/fs/resctrl/rtc-rt/cpus_list");
    Tool.Run missing = bash.run(bundle, h.env(), "./runbook.sh", "check-host");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.out() + missing.err()).contains("/sys/fs/resctrl/rtc-rt/cpus_list is 'absent', planned '5-7'");
  }

  /** Lays a bundle's files out under {@code out} (plain files: the runbook is run with bash). */
  static Path writeOut(Map<String, String> files, Path out) throws IOException {
    for (var f : files.entrySet()) {
      write(out, f.getKey(), f.getValue());
    }
    return out;
  }

  static Map<String, String> texts(Compiler.Result r) {
    Map<String, String> out = new java.util.TreeMap<>();
    r.bundle().files().forEach((k, v) -> out.put(k, v.text()));
    return out;
  }

  static void write(Path root, String rel, String text) throws IOException {
    Path p = root.resolve(rel);
    Files.createDirectories(p.getParent());
    Files.writeString(p, text);
  }
}
