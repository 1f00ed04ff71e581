package dev.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The quick loop ({@code mvn -B test -DexcludedGroups=slow}) runs no external tool, no other JVM
 * and no fake host: every test class that does is tagged {@link Slow}. A new one that is not
 * fails here, so the loop stays quick.
 */
class QuickLoopTest {

  static final List<String> RUNS_SOMETHING = List.of("Tool.require(", "new Tool(", "FakeHost.of(", "new ProcessBuilder(",
      "RunbookLint.", "new Consumers(");

  @Test
  void everyTestThatRunsAToolIsTaggedSlow() throws IOException {
    List<String> untagged = new ArrayList<>();
    try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
      for (Path f : files.filter(p -> p.toString().endsWith("Test.java")).sorted().toList()) {
        String s = Files.readString(f);
        boolean runs = RUNS_SOMETHING.stream().anyMatch(s::contains);
        if (runs && !s.contains("\n@Slow\n") && !f.endsWith("QuickLoopTest.java")) {
          untagged.add(f.toString());
        }
      }
    }
    assertThat(untagged).as("test classes that run a tool, a JVM or a fake host but are not @Slow").isEmpty();
  }
}
