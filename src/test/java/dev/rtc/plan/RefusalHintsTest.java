package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A refusal's hint is tried on the whole manifest: applied, it plans every VM, the ones after the refused VM too. */
class RefusalHintsTest {

  @Test
  void theHintForTheFirstVmLeavesTheVmsAfterItTheirRoom() throws IOException {
    String text = Files.readString(Path.of("src/test/resources/plans/hint-leaves-room-for-later-vm.yaml"));
    Diagnostic refusal = refusal(text);
    Matcher m = Pattern.compile("lower rt\\.vcpus from 16 to (\\d+)").matcher(refusal.hint());
    assertThat(m.find()).as(refusal.render()).isTrue();
    int n = Integer.parseInt(m.group(1));
    assertThat(n).as("14 free CPUs, 6 of them for the stressor after it").isEqualTo(8);
    // The hint, applied, compiles: every VM has its place.
    new Compiler().compile(new ManifestLoader.Source("fixed.yaml", text.replace("vcpus: 16", "vcpus: " + n).getBytes(StandardCharsets.UTF_8)));
    // One more vCPU than the hint would take the stressor's room.
    assertThat(refusal(text.replace("vcpus: 16", "vcpus: " + (n + 1))).render()).contains("stress");
  }

  /** "Too small" only when the host is: a VM whose device fixes a full node is told it is the node. */
  @Test
  void aNodeFixedByADeviceIsNotCalledAHostTooSmall() throws IOException {
    String text = Files.readString(Path.of("examples/xeon-devices.yaml")).replace("\"0-23\"", "\"0-1\"").replace("\"24-47\"", "\"2-47\"")
        .replace("housekeeping: \"0-1,24-25\" ", "housekeeping: \"0,2-3\"     ").replace("    role: stressor\n    vcpus: 8", "    role: stressor\n    vcpus: 40");
    Diagnostic d = refusal(text);
    assertThat(d.hint()).as(d.render()).doesNotContain("too small for").contains("NUMA node 0, where its device 0000:17:00.0 (enp23s0) is, "
        + "has no room for debian12-ethercat even with 2 vCPUs");
  }

  private static Diagnostic refusal(String text) {
    try {
      new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8)));
    } catch (ManifestException e) {
      return e.diagnostics().stream().filter(d -> d.code() == Code.RTC060).findFirst().orElseThrow(() -> new AssertionError(e.diagnostics()));
    }
    return fail("the manifest compiled");
  }
}
