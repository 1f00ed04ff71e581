package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * resctrl gives every group one CLOS of every resource it allocates, so the groups it can make are
 * the least num_closids among L3, L2 and MB (the kernel's closid_init), a cache's halved by CDP:
 * Skylake-SP has 16 L3 CLOS but 8 MB CLOS, so 8 groups, whether or not a VM asks for bandwidth.
 */
@Slow
class ClosBudgetTest {

  /** The reference with {@code vms} real-time VMs that each ask for cache, L3 with 16 CLOS and MB with {@code mb}. */
  static String manifest(int mb, int vms, String cat) throws IOException {
    String text = Files.readString(Path.of("examples/eci-reference.yaml"))
        .replace("mba: {granularity: 10, min: 10}", "mba: {granularity: 10, min: 10, closids: " + mb + "}")
        .replace("cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}", cat)
        .replace("cache: 8 MiB                  # exclusive", "cache: 2 MiB                  # exclusive")
        .replace("emulator: {cpus: 4}", "emulator: {cpus: 1}");
    String rt = text.substring(text.indexOf("  - name: debian12-rt"), text.indexOf("  - name: debian12-stress"));
    StringBuilder more = new StringBuilder();
    for (int i = 2; i <= vms; i++) {
      more.append(rt.replace("debian12-rt", "debian12-rt" + i));
    }
    return text.replace("  - name: debian12-stress", more + "  - name: debian12-stress");
  }

  static final String L3_16 = "cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16}";

  static Compiler.Result compile(String text) {
    return new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void mbWithFewerClosLimitsTheGroups() throws IOException {
    // 3 VM groups and the default group: 4 CLOS; MB has 3, though L3 has 16.
    assertThatThrownBy(() -> compile(manifest(3, 3, L3_16))).isInstanceOfSatisfying(ManifestException.class, e -> {
      List<Diagnostic> errs = e.diagnostics().stream().filter(Diagnostic::isError).toList();
      assertThat(errs).extracting(Diagnostic::code).containsExactly(Code.RTC062);
      assertThat(errs.get(0).message()).contains("3 real-time VMs need their own resctrl group, but this host has 3 CLOS (MB's "
          + "num_closids; L3 has 16)");
      assertThat(errs.get(0).hint()).isEqualTo("give cache or memoryBandwidth to at most 2 VMs");
    });
    // One VM fewer fits in MB's 3, and plan.md says which resource is the limit.
    String planMd = compile(manifest(3, 2, L3_16)).bundle().files().get("plan.md").text();
    assertThat(planMd).contains("3 CLOS (MB's num_closids; L3 has 16)");
    // MB with more CLOS than L3 changes nothing.
    assertThat(compile(manifest(32, 3, L3_16)).bundle().files().get("plan.md").text()).contains(" 16 CLOS (L3's num_closids; MB has 32). ");
  }

  @Test
  void cdpHalvesOnlyTheCacheItIsOn() throws IOException {
    String cdp = "cat: {cbmMask: \"7fff\", minCbmBits: 1, closids: 16, cdp: true}";
    // L3 with CDP: 8 usable; MB 12: L3 is the limit, and both are said.
    assertThat(compile(manifest(12, 2, cdp)).bundle().files().get("plan.md").text())
        .contains("8 usable CLOS (L3's 16 halved by CDP; MB has 12)");
    // MB 6 under L3's halved 8: MB is the limit.
    assertThat(compile(manifest(6, 2, cdp)).bundle().files().get("plan.md").text())
        .contains("6 CLOS (MB's num_closids; L3 has 8 after CDP)");
  }

  @Test
  void theRunbookChecksMbClosOnTheHost(@TempDir Path dir) throws IOException {
    Compiler.Result r = compile(manifest(8, 2, L3_16));
    Map<String, String> b = new TreeMap<>();
    r.bundle().files().forEach((k, v) -> b.put(k, v.text()));
    assertThat(b.get("runbook.sh")).contains("'host|resctrl-info.mb-closids|/sys/fs/resctrl/info/MB/num_closids|equal|8|resctrl MB num_closids|'");
    Path bundle = RtcOwnedGroupsTest.writeOut(b, dir.resolve("out"));
    FakeHost h = FakeHost.of(dir.resolve("root"), r.plan()).booted();
    Tool bash = Tool.require("bash");
    Tool.Run same = bash.run(bundle, h.env(), "./runbook.sh", "preflight");
    assertThat(same.out()).as(same.all()).containsPattern("resctrl MB num_closids +8 +8 +ok").contains("ok: host matches the manifest");
    h.write("sys/fs/resctrl/info/MB/num_closids", "4\n");
    Tool.Run other = bash.run(bundle, h.env(), "./runbook.sh", "preflight");
    assertThat(other.exit()).as(other.all()).isEqualTo(1);
    assertThat(other.out()).containsPattern("resctrl MB num_closids +8 +4 +MISMATCH").doesNotContain("host matches the manifest");
    // Without closids in the manifest there is nothing to check.
    assertThat(compile(Files.readString(Path.of("examples/eci-reference.yaml"))).bundle().files().get("runbook.sh").text())
        .doesNotContain("resctrl-info.mb-closids");
  }
}
