package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden files are the contract: {@code golden/<example>/} holds the whole bundle of
 * {@code examples/<example>.yaml}. Any changed, missing or extra file fails. After an intended
 * change: {@code mvn -B test -Dtest=GoldenTest -Dgolden.update=true}, then review {@code git diff golden/}.
 */
class GoldenTest {

  static final Path EXAMPLES = Path.of("examples");
  static final Path GOLDEN = Path.of("golden");
  static final boolean UPDATE = Boolean.getBoolean("golden.update");

  @TestFactory
  Stream<DynamicTest> everyExampleMatchesItsGoldenBundle() throws IOException {
    List<Path> examples;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      examples = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(examples).as("examples/*.yaml").isNotEmpty();
    return examples.stream().map(m -> DynamicTest.dynamicTest(m.getFileName().toString(), () -> check(m)));
  }

  private static void check(Path manifest) throws IOException {
    String name = manifest.getFileName().toString().replaceFirst("\\.yaml$", "");
    Bundle bundle = new Compiler().compile(manifest).bundle();
    Path dir = GOLDEN.resolve(name);
    if (UPDATE) {
      rewrite(dir, bundle);
    }
    assertThat(dir).as("golden/%s missing: regenerate with -Dgolden.update=true", name).isDirectory();

    Map<String, Path> onDisk = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isRegularFile).forEach(p -> onDisk.put(dir.relativize(p).toString().replace('\\', '/'), p));
    }
    assertThat(onDisk.keySet()).as("files in golden/%s", name).containsExactlyElementsOf(bundle.files().keySet());
    // Every differing file at once, so one run shows the whole change.
    SoftAssertions soft = new SoftAssertions();
    for (Bundle.Artifact a : bundle.files().values()) {
      Path golden = onDisk.get(a.path());
      soft.assertThat(a.text()).as("golden/%s/%s", name, a.path()).isEqualTo(Files.readString(golden));
      soft.assertThat(Files.isExecutable(golden)).as("golden/%s/%s executable", name, a.path()).isEqualTo(a.executable());
    }
    soft.assertAll();
  }

  private static void rewrite(Path dir, Bundle bundle) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> {
          try {
            Files.delete(p);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      }
    }
    for (Bundle.Artifact a : bundle.files().values()) {
      Path p = dir.resolve(a.path());
      Files.createDirectories(p.getParent());
      Files.write(p, a.bytes());
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(a.executable() ? "rwxr-xr-x" : "rw-r--r--"));
    }
  }

}
