package dev.rtc.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.rtc.Compiler;
import dev.rtc.Slow;
import dev.rtc.bundle.BundleWriter;
import dev.rtc.emit.Bundle;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.ManifestException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded mutator over the example manifests: it deletes, duplicates and retypes lines and
 * keys, swaps values between lines, and perturbs numbers and cpulists. Whatever comes out, rtc
 * either compiles it or refuses it with located diagnostics: no other exception may escape, and
 * a refused manifest never leaves a bundle behind, and every error carries a line and column.
 * {@code -Dfuzz.cases=N} (default 5000),
 * {@code -Dfuzz.seed=S} (default fixed) to reproduce or explore.
 */
@Slow
class FuzzTest {

  static final int CASES = Integer.getInteger("fuzz.cases", 5000);
  static final long SEED = Long.getLong("fuzz.seed", 20261125L);

  static final String[] VALUES = {"0", "-1", "1", "7", "64", "99999999999999999999", "1.5", "true", "null", "~", "\"\"",
      "\"0-4294967295\"", "\"0-63:0\"", "\"3-0\"", "\"a-b\"", "\"0-8191\"", "\"8 MB\"", "\"0 MiB\"", "\"9999 TiB\"",
      "[]", "{}", "[1, 2]", "{a: 1}", "\"7fff\"", "\"0\"", "\"\\n\"", "\"$(touch /tmp/pwned)\"", "'</domain>'", "\"-x\"",
      "realtime", "stressor", "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample\"", "\"1-63:2\"", "\"0,2\"", "\"60 MiB\"",
      "017", "0x1F", "0b11", "1_000", ".inf", "-.Inf", ".nan", "16.0", "1e3", "+7", "0 B", "\"0 GiB\"",
      "12345678901234567890123456789012345678901234567890123456789012345", "\"\u202e\"", "\"a\u0085b\"", "{cpus: 0}", "{pin: 3, cpus: 2}",
      "{numaNode: \"0\"}", "shared", "\"$6$$$$$$$$\""};

  @TempDir Path tmp;

  @Test
  void mutatedManifestsAreCompiledOrRefusedWithDiagnosticsOnly() throws IOException {
    List<String> seeds = new ArrayList<>();
    try (Stream<Path> s = Files.list(Path.of("examples"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        seeds.add(Files.readString(p));
      }
    }
    Compiler compiler = new Compiler();
    Random random = new Random(SEED);
    int compiled = 0;
    int refused = 0;
    long started = System.nanoTime();
    for (int i = 0; i < CASES; i++) {
      String text = mutate(seeds.get(random.nextInt(seeds.size())), random);
      ManifestLoader.Source source = new ManifestLoader.Source("fuzz-" + i + ".yaml", text.getBytes(StandardCharsets.UTF_8));
      try {
        Bundle bundle = compiler.compile(source).bundle();
        assertThat(bundle.files()).as("case %d compiled to an empty bundle", i).isNotEmpty();
        compiled++;
      } catch (ManifestException e) {
        assertThat(e.diagnostics()).as("case %d refused without a reason", i).anyMatch(Diagnostic::isError);
        for (Diagnostic d : e.diagnostics()) {
          assertThat(d.message()).as("case %d: %s", i, d.render()).isNotBlank();
          assertThat(d.location().line()).as("case %d has an error without a location: %s%n--- manifest ---%n%s", i, d.render(), text)
              .isPositive();
          assertThat(d.render()).as("case %d: %s", i, d.render()).doesNotContain("Exception").doesNotContain("\u202e");
        }
        refused++;
      } catch (RuntimeException | StackOverflowError e) {
        fail("case " + i + " (seed " + SEED + ") crashed rtc with " + e + "\n--- manifest ---\n" + text, e);
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    System.out.printf("fuzz: %d cases (seed %d) in %.2f s, %.0f cases/s: %d compiled, %d refused with diagnostics%n",
        CASES, SEED, seconds, CASES / seconds, compiled, refused);
    assertThat(compiled + refused).isEqualTo(CASES);
    assertThat(refused).as("the mutator must produce bad manifests").isGreaterThan(CASES / 4);
    assertThat(compiled).as("and some that still compile").isGreaterThan(0);
  }

  /** A refused manifest leaves the target folder as it was, bundle or nothing. */
  @Test
  void refusedMutantsNeverWriteABundle() throws IOException {
    Compiler compiler = new Compiler();
    Random random = new Random(SEED + 1);
    String seed = Files.readString(Path.of("examples/eci-reference.yaml"));
    int checked = 0;
    for (int i = 0; i < 200 && checked < 25; i++) {
      String text = mutate(seed, random);
      Path out = tmp.resolve("out-" + i);
      try {
        BundleWriter.write(compiler.compile(new ManifestLoader.Source("m.yaml", text.getBytes(StandardCharsets.UTF_8))).bundle(), out, false);
      } catch (ManifestException e) {
        assertThat(out).doesNotExist();
        checked++;
      }
    }
    assertThat(checked).isEqualTo(25);
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith(".") && Files.isDirectory(p))).as("no half-written hidden folders")
          .isEmpty();
    }
  }

  static String mutate(String text, Random r) {
    List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
    int edits = 1 + r.nextInt(3);
    for (int e = 0; e < edits; e++) {
      int i = r.nextInt(lines.size());
      String line = lines.get(i);
      switch (r.nextInt(8)) {
        case 0 -> lines.remove(i);                                     // delete a line (a key, a list item)
        case 1 -> lines.add(i, line);                                  // duplicate a line (duplicate key)
        case 2 -> lines.set(i, replaceValue(line, VALUES[r.nextInt(VALUES.length)]));  // retype a value
        case 3 -> {                                                    // swap values between two lines
          int j = r.nextInt(lines.size());
          String vi = valueOf(line);
          String vj = valueOf(lines.get(j));
          if (vi != null && vj != null) {
            lines.set(i, replaceValue(line, vj));
            lines.set(j, replaceValue(lines.get(j), vi));
          }
        }
        case 4 -> lines.set(i, perturbNumbers(line, r));               // nudge numbers, cpulists, sizes
        case 5 -> lines.set(i, renameKey(line, r));                    // misspell a key
        case 6 -> lines.set(i, (r.nextBoolean() ? "  " : "") + line.stripLeading()); // break indentation
        default -> lines.set(i, line.isEmpty() ? line : line.substring(0, r.nextInt(line.length()))); // truncate
      }
      if (lines.isEmpty()) {
        lines.add("");
      }
    }
    return String.join("\n", lines);
  }

  static String valueOf(String line) {
    int c = line.indexOf(": ");
    return c < 0 || line.strip().startsWith("#") ? null : line.substring(c + 2);
  }

  static String replaceValue(String line, String value) {
    int c = line.indexOf(": ");
    return c < 0 ? line + " " + value : line.substring(0, c + 2) + value;
  }

  static String perturbNumbers(String line, Random r) {
    StringBuilder out = new StringBuilder();
    var m = java.util.regex.Pattern.compile("\\d+").matcher(line);
    int last = 0;
    while (m.find()) {
      out.append(line, last, m.start());
      long v = Long.parseLong(m.group().length() > 15 ? "999" : m.group());
      long[] choices = {0, v - 1, v + 1, v * 2, v * 1000, 63, 64, 8191, 8192, Integer.MAX_VALUE};
      out.append(r.nextInt(3) == 0 ? m.group() : Long.toString(choices[r.nextInt(choices.length)]));
      last = m.end();
    }
    return out.append(line.substring(last)).toString();
  }

  static String renameKey(String line, Random r) {
    int c = line.indexOf(':');
    String key = line.substring(0, Math.max(0, c)).strip();
    if (c < 0 || key.isEmpty()) {
      return line;
    }
    int at = r.nextInt(key.length());
    String typo = key.substring(0, at) + key.substring(at + 1);
    return line.replaceFirst(java.util.regex.Pattern.quote(key), typo.isEmpty() ? "x" : typo);
  }
}
