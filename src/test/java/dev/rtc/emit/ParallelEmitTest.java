package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.manifest.ManifestLoader;
import dev.rtc.plan.Plan;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A large bundle is emitted on several threads (see {@link Emitters#PARALLEL_VMS}); its bytes must
 * be those of the one-thread emitter, file for file, whatever order the threads finish in.
 */
class ParallelEmitTest {

  @Test
  void severalThreadsWriteTheBytesOfOne() throws Exception {
    int vms = Emitters.PARALLEL_VMS + 8;
    String yaml = dev.rtc.bench.SolverBenchmark.manifest(2, 128, vms, false);
    Plan plan = new Compiler().validate(new ManifestLoader.Source("big.yaml", yaml.getBytes(StandardCharsets.UTF_8))).plan();
    assertThat(plan.vms()).hasSize(vms);

    Map<String, Bundle.Artifact> one = Emitters.emit(plan, false).files();
    assertThat(one.keySet()).contains("runbook.sh", "plan.html", "plan.json", "README.md", "vms/vm0/domain.xml", "vms/vm" + (vms - 1) + "/user-data");
    for (int run = 0; run < 5; run++) {
      Map<String, Bundle.Artifact> several = Emitters.emit(plan, true).files();
      assertThat(several.keySet()).containsExactlyElementsOf(one.keySet());
      one.forEach((path, a) -> {
        assertThat(several.get(path).bytes()).as(path).isEqualTo(a.bytes());
        assertThat(several.get(path).executable()).as(path).isEqualTo(a.executable());
      });
    }
    // And compile() takes the parallel path for this many VMs, to the same bytes.
    assertThat(Emitters.emit(plan).get("SHA256SUMS").bytes()).isEqualTo(one.get("SHA256SUMS").bytes());
  }
}
