package dev.rtc.emit;

import dev.rtc.bundle.BundleWriter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.bundle.BundleComparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Golden files are the contract: {@code golden/<example>/} holds the whole bundle of
 * {@code examples/<example>.yaml}, but for the runbook's steps, the same in every bundle, which
 * {@code golden/runbook-steps.sh} holds once. Any changed, missing or extra file, or a changed executable
 * bit, fails, with the unified diff. The comparison is the one {@code rtc compile --check} uses.
 * After an intended change: {@code mvn -B test -Dtest=GoldenTest -Dgolden.update=true}, then
 * review {@code git diff golden/}.
 */
class GoldenTest {

  static final Path EXAMPLES = Path.of("examples");
  static final Path GOLDEN = Path.of("golden");
  static final boolean UPDATE = Boolean.getBoolean("golden.update");
  static final Path SHARED_STEPS = GOLDEN.resolve(Emitters.RUNBOOK_STEPS);

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
    Bundle compiled = new Compiler().compile(manifest).bundle();
    // The runbook's steps are the same bytes in every bundle: golden/ keeps them once, and each
    // bundle's are checked against that copy, so a change to the steps is reviewed once.
    Bundle bundle = new Bundle();
    compiled.files().values().stream().filter(a -> !a.path().equals(Emitters.RUNBOOK_STEPS)).forEach(bundle::add);
    byte[] steps = compiled.get(Emitters.RUNBOOK_STEPS).bytes();
    Path dir = GOLDEN.resolve(name);
    if (UPDATE) {
      // golden/<name>/ replaced whole (it carries no marker, so the writer would keep its old
      // files as not rtc's), by the bundle writer itself, so the modes are as shipped.
      if (Files.exists(dir)) {
        Folders.deleteTree(dir);
      }
      BundleWriter.write(bundle, dir, false);
      Files.deleteIfExists(dir.resolve(BundleWriter.MARKER));
      Files.write(SHARED_STEPS, steps);
    }
    assertThat(SHARED_STEPS).as("golden/%s missing: regenerate with -Dgolden.update=true", Emitters.RUNBOOK_STEPS).isRegularFile();
    assertThat(new String(steps, java.nio.charset.StandardCharsets.UTF_8)).as("%s's %s differs from golden/%s (regenerate with "
        + "-Dgolden.update=true and review)", name, Emitters.RUNBOOK_STEPS, Emitters.RUNBOOK_STEPS).isEqualTo(Files.readString(SHARED_STEPS));
    assertThat(dir).as("golden/%s missing: regenerate with -Dgolden.update=true", name).isDirectory();
    List<BundleComparison.Difference> diffs = BundleComparison.compare(bundle, dir);
    assertThat(diffs).as("golden/%s differs from the compiled bundle (regenerate with -Dgolden.update=true and review):%n%s",
        name, diffs.stream().map(BundleComparison.Difference::render).collect(Collectors.joining())).isEmpty();
  }
}
