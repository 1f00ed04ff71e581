package dev.rtc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The project's own scripts are held to what the bundle's are: the launchers (./rtc and the
 * installed bin/rtc), the benchmarks and the CI entry point pass bash -n and shellcheck, sources
 * followed (-x), run from the repository's root as the scripts' source= directives expect.
 */
class ScriptsTest {

  static final Path ROOT = Path.of("").toAbsolutePath();

  @Test
  void theProjectsScriptsPassBashAndShellcheck() throws IOException {
    List<String> scripts = new ArrayList<>(List.of("rtc", "src/main/dist/bin/rtc", ".ci/run"));
    try (Stream<Path> s = Files.list(ROOT.resolve("bench"))) {
      s.filter(p -> p.toString().endsWith(".sh")).sorted().forEach(p -> scripts.add(ROOT.relativize(p).toString()));
    }
    assertThat(scripts).contains("bench/coldstart.sh", "bench/fleet.sh", "bench/large.sh", "bench/dist.sh");
    for (String script : scripts) {
      Tool.Run syntax = Tool.require("bash").run(ROOT, "-n", script);
      assertThat(syntax.exit()).as("bash -n %s: %s", script, syntax.all()).isZero();
    }
    List<String> args = new ArrayList<>(List.of("-x"));
    args.addAll(scripts);
    Tool.Run lint = Tool.require("shellcheck").run(ROOT, args.toArray(String[]::new));
    assertThat(lint.exit()).as(lint.all()).isZero();
  }
}
