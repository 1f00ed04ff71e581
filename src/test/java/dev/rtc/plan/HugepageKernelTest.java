package dev.rtc.plan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The per-node hugepages= form (hugepages=0:8) is written only for kernels known to parse it: a
 * named package's series is read from its name, and a package whose name gives none is not assumed
 * to (rtc-hugepages.service reserves the pages instead). Kernels before 5.16 read the form as zero
 * pages, silently.
 */
class HugepageKernelTest {

  @Test
  void aPackagesSeriesIsReadFromItsName() {
    assertThat(KernelVersion.ofPackage("linux-image-5.10.0-28-rt-amd64")).isEqualTo(new KernelVersion(5, 10));
    assertThat(KernelVersion.ofPackage("kernel-rt-5.14.0-427.13.1.el9_4")).isEqualTo(new KernelVersion(5, 14));
    assertThat(KernelVersion.ofPackage("linux-image-6.6.0-rt-amd64")).isEqualTo(new KernelVersion(6, 6));
    assertThat(KernelVersion.ofPackage("linux-image-rt-amd64")).isEqualTo(KernelVersion.UNKNOWN);
    assertThat(KernelVersion.ofPackage("linux-intel-rt")).isEqualTo(KernelVersion.UNKNOWN);
    assertThat(KernelVersion.ofPackage("x86_64-rt-kernel")).as("digits inside a word are no version").isEqualTo(KernelVersion.UNKNOWN);
    assertThat(KernelVersion.UNKNOWN.atLeast(new KernelVersion(0, 0))).as("no fact holds for an unknown series").isFalse();
  }

  @Test
  void theCommandLinesPerNodeFormOnlyForAKernelKnownToParseIt() throws IOException {
    String ref = Files.readString(Path.of("examples/eci-reference.yaml"))
        .replace("    cache: 8 MiB                  # exclusive", "    hugepages: 1G\n    cache: 8 MiB                  # exclusive");
    record Case(String kernel, boolean perNode) {}
    for (Case c : java.util.List.of(new Case("{realtime: eci}", true), new Case("{realtime: package, package: linux-image-6.6.0-rt-amd64}", true),
        new Case("{realtime: package, package: linux-image-5.10.0-28-rt-amd64}", false), new Case("{realtime: package, package: my-rt-kernel}", false))) {
      String text = ref.replace("  kernel: {realtime: eci}         # the guide's", "  kernel: " + c.kernel() + "  # the guide's");
      assertThat(text).contains(c.kernel());
      Plan plan = new Compiler().compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8))).plan();
      String cmdline = plan.host().cmdline().toString();
      assertThat(plan.host().hugepages()).as(c.kernel()).isNotEmpty();
      if (c.perNode()) {
        assertThat(cmdline).as(c.kernel()).containsPattern("hugepages=[01]:8");
        assertThat(plan.host().hugepagesByUnit()).as(c.kernel()).isEmpty();
      } else {
        assertThat(cmdline).as(c.kernel()).doesNotContain("hugepages=");
        assertThat(plan.host().hugepagesByUnit()).as(c.kernel()).isEqualTo(plan.host().hugepages());
      }
    }
  }
}
