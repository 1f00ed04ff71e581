package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose resctrl is mounted with CDP (-o cdp): L3CODE and L3DATA replace L3, the CLOS are
 * halved, and libvirt must be asked for code and data (type both fails at start on such a host).
 */
@Slow
class CdpTest {

  static String cdp(String closids) throws IOException {
    return Files.readString(Path.of("examples/eci-reference.yaml"))
        .replace("cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}", "cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: " + closids + ", cdp: true}");
  }

  static Map<String, String> compile(String text) {
    Compiler.Result r = new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
    Map<String, String> out = new TreeMap<>();
    r.bundle().files().forEach((k, v) -> out.put(k, v.text()));
    return out;
  }

  @Test
  void theDefaultGroupAndTheCachetuneHaveCodeAndData(@TempDir Path dir) throws IOException {
    Map<String, String> b = compile(cdp("16"));
    assertThat(b.get("host/resctrl/schemata")).isEqualTo("L3CODE:0=0003;1=0003\nL3DATA:0=0003;1=0003\n");
    String xml = b.get("vms/debian12-rt/domain.xml");
    assertThat(xml).contains("<cache id=\"0\" level=\"3\" type=\"code\" size=\"8\" unit=\"MiB\"/>")
        .contains("<cache id=\"0\" level=\"3\" type=\"data\" size=\"8\" unit=\"MiB\"/>").doesNotContain("type=\"both\"");
    assertThat(xml.indexOf("type=\"code\"")).isLessThan(xml.indexOf("type=\"data\""));
    assertThat(b.get("runbook.sh")).contains("RESCTRL_INFO=L3CODE\n")
        .contains("RESCTRL_DEFAULT=('L3CODE:0=0003;1=0003' 'L3DATA:0=0003;1=0003')")
        .contains("[debian12-rt]='L3CODE:0=000c;1=0003 L3DATA:0=000c;1=0003'");
    // libvirt's own parser and grammar take the code + data pair.
    Path f = dir.resolve("domain.xml");
    Files.writeString(f, xml);
    Tool.Run valid = Tool.require("virt-xml-validate").run(dir, f.toString(), "domain");
    assertThat(valid.exit()).as(valid.out() + valid.err()).isZero();
    Tool.Run define = Tool.require("virsh").run(dir, "-c", "test:///default", "define", "--validate", f.toString());
    assertThat(define.exit()).as(define.out() + define.err()).isZero();
  }

  @Test
  void cdpHalvesTheClos() throws IOException {
    String twoRt = cdp("4") + "";
    String second = twoRt.substring(twoRt.indexOf("  - name: debian12-rt"), twoRt.indexOf("  - name: debian12-stress"))
        .replace("debian12-rt", "debian12-rt2");
    String text = twoRt.replace("  - name: debian12-stress", second + "  - name: debian12-stress");
    try {
      compile(text);
      throw new AssertionError("two real-time groups on 4 CLOS halved by CDP must be refused");
    } catch (ManifestException e) {
      List<Diagnostic> errs = e.diagnostics().stream().filter(Diagnostic::isError).toList();
      assertThat(errs).extracting(Diagnostic::code).contains(Code.RTC062);
      assertThat(errs).extracting(Diagnostic::message).anySatisfy(m -> assertThat(m).contains("2 usable CLOS (4 halved by CDP)"));
    }
    // Without CDP the same 4 CLOS hold both groups.
    compile(text.replace(", cdp: true", ""));
  }

  @Test
  void checkHostComparesBothLines(@TempDir Path dir) throws IOException {
    Compiler.Result r = new Compiler().compile(new ManifestLoader.Source("m.yaml", cdp("16").getBytes(StandardCharsets.UTF_8)));
    Map<String, String> b = new TreeMap<>();
    r.bundle().files().forEach((k, v) -> b.put(k, v.text()));
    Path bundle = RtcOwnedGroupsTest.writeOut(b, dir.resolve("out"));
    FakeHost h = FakeHost.of(dir.resolve("root"), r.plan()).booted();
    Tool bash = Tool.require("bash");
    h.write("sys/fs/resctrl/schemata", "L3CODE:0=0003;1=0003\nL3DATA:0=3;1=3\n    MB:0=100;1=100\n");
    Tool.Run ok = bash.run(bundle, h.env(), "./runbook.sh", "check-host");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    h.write("sys/fs/resctrl/schemata", "L3CODE:0=0003;1=0003\nL3DATA:0=7fff;1=7fff\n");
    Tool.Run wrong = bash.run(bundle, h.env(), "./runbook.sh", "check-host");
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.out() + wrong.err()).contains("/sys/fs/resctrl/schemata is 'L3CODE:0=0003;1=0003 L3DATA:0=7fff;1=7fff', planned "
        + "'L3CODE:0=0003;1=0003 L3DATA:0=0003;1=0003'");
  }

  /**
   * The boot unit mounts resctrl with -o cdp when the plan has code and data masks, and refuses a
   * resctrl mounted without it (its lines would not fit). The unit's mount step is run here with
   * fake mountpoint and mount commands; /proc/mounts is this machine's, which has no resctrl.
   */
  @Test
  void theBootUnitMountsWithCdpAndRefusesAMountWithout(@TempDir Path dir) throws IOException {
    String unit = compile(cdp("16")).get("host/systemd/rtc-resctrl.service");
    String plain = compile(cdp("16").replace(", cdp: true", "")).get("host/systemd/rtc-resctrl.service");
    Tool.Run verify = Tool.require("systemd-analyze").run(dir, "verify", "--man=no",
        Files.writeString(dir.resolve("rtc-resctrl.service"), unit).toString());
    assertThat(verify.exit()).as(verify.all()).isZero();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path log = dir.resolve("calls");
    for (String c : List.of("mountpoint", "mount")) {
      Path shim = bin.resolve(c);
      Files.writeString(shim, "#!/bin/sh\necho \"$0 $*\" >>" + log + "\n[ \"${0##*/}\" = mount ] || [ -e " + dir.resolve("mounted") + " ]\n");
      shim.toFile().setExecutable(true);
    }
    Map<String, String> env = Map.of("PATH", bin + ":" + System.getenv("PATH"));
    Tool sh = Tool.require("sh");
    // Not mounted yet: mounted with the plan's option.
    Tool.Run fresh = sh.run(dir, env, "-c", execStartPre(unit));
    assertThat(fresh.exit()).as(fresh.all()).isZero();
    assertThat(Files.readString(log)).contains("mount -t resctrl -o cdp resctrl /sys/fs/resctrl");
    Files.writeString(log, "");
    assertThat(sh.run(dir, env, "-c", execStartPre(plain)).exit()).isZero();
    assertThat(Files.readString(log)).contains("mount -t resctrl resctrl /sys/fs/resctrl").doesNotContain("-o cdp");
    // Mounted already, without cdp (as /proc/mounts here shows no resctrl with it): refused, and said why.
    Files.writeString(dir.resolve("mounted"), "");
    Tool.Run without = sh.run(dir, env, "-c", execStartPre(unit));
    assertThat(without.exit()).isEqualTo(1);
    assertThat(without.err()).contains("rtc: /sys/fs/resctrl is mounted without cdp; unmount it (umount /sys/fs/resctrl) or reboot");
    assertThat(sh.run(dir, env, "-c", execStartPre(plain)).exit()).as("a plan without CDP takes a mount without it").isZero();
  }

  /** The shell command of the unit's ExecStartPre=/bin/sh -c '...' line. */
  private static String execStartPre(String unit) {
    String line = unit.lines().filter(l -> l.startsWith("ExecStartPre=/bin/sh -c '")).findFirst().orElseThrow();
    return line.substring("ExecStartPre=/bin/sh -c '".length(), line.length() - 1);
  }
}
