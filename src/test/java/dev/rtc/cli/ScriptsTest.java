package dev.rtc.cli;

import dev.rtc.Slow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.emit.Tool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The project's own scripts are held to what the bundle's are: the launchers (./rtc and the
 * installed bin/rtc), the benchmarks and the CI entry point pass bash -n and shellcheck, sources
 * followed (-x), run from the repository's root as the scripts' source= directives expect.
 */
@Slow
class ScriptsTest {

  static final Path ROOT = Path.of("").toAbsolutePath();

  @Test
  void theProjectsScriptsPassBashAndShellcheck() throws IOException {
    List<String> scripts = new ArrayList<>(List.of("rtc", "src/main/dist/bin/rtc", "src/main/dist/lib/rtc-jvm.sh", ".ci/run"));
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

  /** The launchers' JVM flags: C1 compiles early for a fleet (a folder, or several manifests), less for one manifest. */
  @Test
  void c1CompilesEarlyForAFleetOnly() {
    assertThat(scaling("compile", "examples/eci-reference.yaml", "-o", "out")).isEqualTo("1.0");
    assertThat(scaling("compile", "examples/eci-reference.yaml", "-o", "examples")).as("-o's folder is not a fleet").isEqualTo("1.0");
    assertThat(scaling("compile", "examples/eci-reference.yaml", "--output", "examples")).isEqualTo("1.0");
    assertThat(scaling("compile", "examples", "-o", "out")).isEqualTo("0.2");
    assertThat(scaling("compile", "a.yaml", "b.yml", "-o", "out")).isEqualTo("0.2");
    assertThat(scaling("--help")).isEqualTo("1.0");
  }

  /**
   * Huge pages are asked for only where the kernel gives them on request: with "never", or with no
   * THP in the kernel, JDK 17 would print a warning on stdout at every run.
   */
  @Test
  void hugePagesAreAskedForOnlyWhenTheKernelGivesThemOnRequest(@TempDir Path dir) throws IOException {
    Path mode = dir.resolve("enabled");
    Map<String, Boolean> asks = new LinkedHashMap<>();
    asks.put("always [madvise] never", true);
    asks.put("[always] madvise never", false); // the kernel gives them unasked
    asks.put("always madvise [never]", false);
    for (var e : asks.entrySet()) {
      Files.writeString(mode, e.getKey() + "\n");
      assertThat(flags(Map.of("rtc_thp", mode.toString()), "compile", "a.yaml")).as(e.getKey())
          .filteredOn("-XX:+UseTransparentHugePages"::equals).hasSize(e.getValue() ? 1 : 0);
    }
    // No newline: read then returns non-zero, which must not stop a launcher that runs under set -e.
    Files.writeString(mode, "always [madvise] never");
    assertThat(flags(Map.of("rtc_thp", mode.toString()), "--help")).contains("-XX:+UseTransparentHugePages");
    assertThat(flags(Map.of("rtc_thp", dir.resolve("absent").toString()), "--help")).doesNotContain("-XX:+UseTransparentHugePages");
  }

  /**
   * The JVM's malloc is tuned through GLIBC_TUNABLES, and a user's own tunables come after
   * rtc's: glibc takes the last value given.
   */
  @Test
  void mallocTunablesLeaveTheUsersOwnLast() {
    assertThat(tunables(Map.of("GLIBC_TUNABLES", ""))).as("none of the user's").isEqualTo("glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.top_pad=8388608");
    assertThat(tunables(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=4")))
        .isEqualTo("glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1:glibc.malloc.top_pad=8388608:glibc.malloc.arena_max=4");
  }

  /** This machine's kernel, glibc and JDK take what the launchers give them without a word. */
  @Test
  void theJvmTakesTheFlagsSilently() {
    List<String> args = new ArrayList<>(flags(Map.of(), "compile", "examples/eci-reference.yaml"));
    args.add("-version");
    Tool.Run run = Tool.require("java").run(ROOT, Map.of("GLIBC_TUNABLES", tunables(Map.of("GLIBC_TUNABLES", ""))), args.toArray(String[]::new));
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.out()).as("the JVM said on stdout").isEmpty();
    assertThat(run.err()).as("-version's own lines only").doesNotContainIgnoringCase("warning").contains("version \"");
  }

  private static String scaling(String... args) {
    List<String> flags = flags(Map.of(), args);
    assertThat(flags).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");
    return flags.stream().filter(l -> l.startsWith("-XX:CompileThresholdScaling=")).findFirst().orElseThrow().split("=")[1];
  }

  /** The JVM flags rtc-jvm.sh gives for a command line, sourced as the launchers source it (under set -e). */
  private static List<String> flags(Map<String, String> env, String... args) {
    return launcher(env, "printf '%s\\n' \"${jvm[@]}\"", args).lines().toList();
  }

  /** The GLIBC_TUNABLES rtc-jvm.sh exports for the JVM. */
  private static String tunables(Map<String, String> env) {
    return launcher(env, "printf '%s' \"$GLIBC_TUNABLES\"", "compile", "a.yaml");
  }

  private static String launcher(Map<String, String> env, String print, String... args) {
    List<String> cmd = new ArrayList<>(List.of("-c", "set -Eeuo pipefail; . src/main/dist/lib/rtc-jvm.sh; rtc_jvm \"$@\"; " + print, "rtc"));
    cmd.addAll(List.of(args));
    Tool.Run run = Tool.require("bash").run(ROOT, env, cmd.toArray(String[]::new));
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.err()).isEmpty();
    return run.out();
  }
}
