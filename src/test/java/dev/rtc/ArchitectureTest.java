package dev.rtc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of src/main/java/dev/rtc depend downwards only: each on packages of the layers
 * below its own, never on its own layer's others, never up, so there is no circle. A reference is
 * an import or a qualified name in code (comments and strings do not count). And no file grows past
 * one job's length.
 */
class ArchitectureTest {

  /** Top to bottom. "" is dev.rtc itself (the Compiler: the pipeline the commands run). */
  static final List<Set<String>> LAYERS = List.of(
      Set.of("cli"),
      Set.of("init", "bundle"),
      Set.of(""),
      Set.of("emit", "probe"),
      Set.of("plan", "report"),
      Set.of("manifest.rules", "manifest.migrate"),
      Set.of("manifest"),
      Set.of("manifest.diagnostics"),
      Set.of("topology", "io"));

  static final Path MAIN = Path.of("src/main/java/dev/rtc");
  static final Pattern REFERENCE = Pattern.compile("\\bdev\\.rtc\\.(?:([a-z]+(?:\\.[a-z]+)*)\\.)?[A-Z]");

  @Test
  void everyPackageDependsOnLowerLayersOnly() throws IOException {
    Map<String, Set<String>> graph = graph();
    assertThat(graph.keySet()).as("every package is in a layer").allMatch(p -> layer(p) >= 0);
    List<String> up = new ArrayList<>();
    graph.forEach((from, tos) -> tos.forEach(to -> {
      if (layer(to) <= layer(from)) {
        up.add(name(from) + " -> " + name(to));
      }
    }));
    System.out.println("package graph: " + graph);
    assertThat(up).as("references that do not run down the layers " + LAYERS).isEmpty();
  }

  /** A file past this holds more than one job: split it by job, as BundleWriter, Rules and SchemaCheck were. */
  static final int MAX_LINES = 400;

  @Test
  void noMainSourceFileIsLongerThanOneJob() throws IOException {
    List<String> long_ = new ArrayList<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        long n = Files.readAllLines(f).size();
        if (n > MAX_LINES) {
          long_.add(MAIN.relativize(f) + " (" + n + " lines)");
        }
      }
    }
    assertThat(long_).as("main source files over %d lines", MAX_LINES).isEmpty();
  }

  /** Test packages mirror main's: a test lives in the package of what it tests (bench/ holds benchmarks, not tests). */
  @Test
  void testPackagesMirrorMainPackages() throws IOException {
    Path test = Path.of("src/test/java/dev/rtc");
    List<String> strays = new ArrayList<>();
    try (Stream<Path> files = Files.walk(test)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Path dir = test.relativize(f.getParent());
        if (!dir.toString().equals("bench") && !Files.isDirectory(MAIN.resolve(dir))) {
          strays.add(test.relativize(f).toString());
        }
      }
    }
    assertThat(strays).as("tests in a package main does not have").isEmpty();
  }

  /** A chained call on a VmPlan's manifest VM. */
  static final Pattern MANIFEST_VM = Pattern.compile("\\.vm\\(\\)\\.");

  /** The plan is the whole truth the emitters need: none of them reaches past it into the manifest. */
  @Test
  void noEmitterReadsTheManifest() throws IOException {
    List<String> reads = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve("emit"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        String code = code(Files.readString(f));
        // plan.manifest(), or the manifest's own VM behind a VmPlan (vm.vm().vcpus()).
        if (code.contains(".manifest()") || MANIFEST_VM.matcher(code).find()) {
          reads.add(f.getFileName().toString());
        }
      }
    }
    assertThat(reads).as("emitters that read plan.manifest() or VmPlan.vm() (give the plan what they need)").isEmpty();
    assertThat(MANIFEST_VM.matcher("int n = vm.vm().vcpus();").find()).isTrue();
    assertThat(MANIFEST_VM.matcher("b.vm() + plan.vms().size()").find()).isFalse();
  }

  @Test
  void theCheckSeesWhatItGuardsAgainst() {
    Matcher m = REFERENCE.matcher("import dev.rtc.emit.Bundle; x = dev.rtc.Compiler.run(); dev.rtc.io.Version.get(); dev.rtc.manifest.rules.Rules.check()");
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1) == null ? "" : m.group(1));
    }
    assertThat(found).containsExactly("emit", "", "io", "manifest.rules");
    assertThat(code("a = 1; // dev.rtc.cli.Main\n/* dev.rtc.cli.Main */ s = \"dev.rtc.cli.Main\"; c = '\"';")).doesNotContain("dev.rtc");
    assertThat(code("u = \"http://x\"; dev.rtc.cli.Main.run();")).contains("dev.rtc.cli.Main");
  }

  static Map<String, Set<String>> graph() throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Path dir = MAIN.relativize(f.getParent());
        String from = dir.toString().replace('/', '.');
        Set<String> tos = graph.computeIfAbsent(from, k -> new TreeSet<>());
        Matcher m = REFERENCE.matcher(code(Files.readString(f)));
        while (m.find()) {
          String to = m.group(1) == null ? "" : m.group(1);
          if (!to.equals(from)) {
            tos.add(to);
          }
        }
      }
    }
    return graph;
  }

  static int layer(String pkg) {
    for (int i = 0; i < LAYERS.size(); i++) {
      if (LAYERS.get(i).contains(pkg)) {
        return i;
      }
    }
    return -1;
  }

  static String name(String pkg) {
    return pkg.isEmpty() ? "dev.rtc" : pkg;
  }

  /** The source without comments and the contents of strings, chars and text blocks (a small lexer, in order). */
  static String code(String java) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    int n = java.length();
    while (i < n) {
      char c = java.charAt(i);
      if (java.startsWith("//", i)) {
        i = java.indexOf('\n', i) < 0 ? n : java.indexOf('\n', i);
      } else if (java.startsWith("/*", i)) {
        int end = java.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.append(' ');
      } else if (java.startsWith("\"\"\"", i)) {
        int end = java.indexOf("\"\"\"", i + 3);
        i = end < 0 ? n : end + 3;
        out.append("\"\"");
      } else if (c == '"' || c == '\'') {
        int j = i + 1;
        while (j < n && java.charAt(j) != c) {
          j += java.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
        out.append(c).append(c);
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
