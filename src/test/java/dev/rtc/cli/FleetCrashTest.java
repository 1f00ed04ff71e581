package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bug of rtc's on one manifest of a fleet (injected: an exception, a stack overflow) is that
 * manifest's failure alone: the others are compiled, written and their diagnostics printed; the
 * crash is reported with the manifest's name and exit 3 at the end; no staging folder is left.
 */
class FleetCrashTest {

  @TempDir Path tmp;

  @AfterEach
  void noFaults() {
    Fleet.faults = f -> f;
  }

  @Test
  void oneManifestsCrashCostsTheOthersNothing() throws IOException {
    Path hosts = Files.createDirectories(tmp.resolve("hosts"));
    Path out = tmp.resolve("out");
    Files.copy(CliTest.EXAMPLE, hosts.resolve("a-line-1.yaml"));
    Files.writeString(hosts.resolve("b-crash.yaml"), Files.readString(Path.of("examples/xeon-smt.yaml")));
    Files.writeString(hosts.resolve("c-overflow.yaml"), Files.readString(Path.of("examples/atom-l2cat.yaml")));
    Files.writeString(hosts.resolve("d-bad.yaml"), Files.readString(Path.of("examples/hybrid-client.yaml")).replace("vcpus: 4", "vcpus: 0"));
    Files.copy(Path.of("examples/xeon-devices.yaml"), hosts.resolve("e-line-5.yaml"));
    Fleet.faults = compile -> (Function<Path, Compiler.Result>) p -> {
      if (p.endsWith("b-crash.yaml")) {
        throw new IllegalStateException("injected fault");
      }
      if (p.endsWith("c-overflow.yaml")) {
        throw new StackOverflowError();
      }
      return compile.apply(p);
    };

    CliTest.Outcome o = CliTest.rtc("compile", hosts.toString(), "-o", out.toString());

    assertThat(o.exit()).as(o.err()).isEqualTo(Main.INTERNAL);
    assertThat(o.err()).contains("rtc: " + hosts.resolve("b-crash.yaml") + ": internal error (a bug in rtc, not in this manifest")
        .contains("java.lang.IllegalStateException: injected fault")
        .contains("rtc: " + hosts.resolve("c-overflow.yaml") + ": internal error").contains("java.lang.StackOverflowError");
    assertThat(o.out() + o.err()).as("the bad manifest's own errors are still printed").contains("d-bad.yaml:").contains("error[");
    assertThat(out.resolve("eci-reference/.rtc-bundle")).exists();
    assertThat(out.resolve("xeon-devices/.rtc-bundle")).exists();
    assertThat(out.resolve("xeon-smt")).as("nothing for the crashed manifest").doesNotExist();
    assertThat(out.resolve("atom-l2cat")).doesNotExist();
    try (Stream<Path> s = Files.list(out)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".rtc-lock")))
          .as("no staging folder left behind (the empty lock files stay by design)").containsExactlyInAnyOrder("eci-reference", "xeon-devices");
    }
  }
}
