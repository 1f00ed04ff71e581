package dev.rtc.emit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Each artifact of a bundle, handed to its real consumer, for the consumer sweep. Two consumers
 * cost seconds where the rest cost milliseconds, so they are batched, judging no less:
 *
 * <ul>
 *   <li><b>cloud-init schema</b> and <b>TuneD's loader</b> start Python and load their schema for
 *       every file; the files wait in a batch folder and one process runs the same entry point per
 *       file ({@code src/test/resources/consumers/cloud-init-schema-batch.py},
 *       {@code src/test/resources/tuned/load-profiles-batch.py}).
 *   <li><b>shellcheck</b> takes about 4 s for a runbook, almost all of it in the static library
 *       every runbook ends with (templates/runbook-steps.sh, byte for byte). What shellcheck finds
 *       there depends on the generated header only through the names the header assigns and their
 *       kind (scalar, array, associative array) and its non-assignment lines: its <em>shape</em>.
 *       So each runbook's header is checked alone (every value's quoting, SC2034 aside, since the
 *       uses are in the library), and the whole runbook once per shape. bash -n reads every whole
 *       runbook. ConsumerSweepTest shows this finds both faults the whole-file check found.
 * </ul>
 */
final class Consumers implements AutoCloseable {

  static final String LIBRARY = new String(Emitters.runbookSteps(), StandardCharsets.UTF_8);
  /** The Python cloud-init and TuneD are installed for (their own scripts start with #!/usr/bin/python3). */
  private static final Tool SYSTEM_PYTHON = new Tool("/usr/bin/python3");
  private static final Pattern ASSIGNMENT = Pattern.compile("(?:^|\\s)(declare -[aA] )?([A-Za-z_][A-Za-z0-9_]*)=(\\()?");

  /** A file waiting for a batched consumer: who it belongs to, and the manifest to show when it fails. */
  private record Pending(String who, String rel, String manifest) {}

  private final Path batch;
  private final Map<Path, Pending> userData = new LinkedHashMap<>();
  private final Map<Path, Pending> profiles = new LinkedHashMap<>();
  private final Map<String, Tool.Run> shapes = new HashMap<>();
  private final List<String> failures = new ArrayList<>();
  private int files;
  private int next;

  Consumers(Path batch) throws IOException {
    this.batch = Files.createDirectories(batch);
  }

  int files() {
    return files;
  }

  int shapes() {
    return shapes.size();
  }

  List<String> failures() {
    return failures;
  }

  /** Hands every file of the bundle written at {@code out} to its consumer; the batched ones wait for {@link #flush}. */
  void judge(String who, String manifest, Path out, Collection<String> rels) throws IOException {
    for (String rel : rels) {
      String name = rel.substring(rel.lastIndexOf('/') + 1);
      Tool.Run run = switch (name.endsWith(".rules.yml") ? "*.rules.yml" : name) {
        case "*.rules.yml" -> Tool.require("promtool").run(out, "check", "rules", rel);
        case "domain.xml" -> both(Tool.require("virt-xml-validate").run(out, rel, "domain"),
            Tool.require("virsh").run(out, "-c", "test:///default", "define --validate " + rel));
        case "runbook.sh" -> runbook(out, Files.readString(out.resolve(rel)), Files.readString(out.resolve(Emitters.RUNBOOK_STEPS)));
        case "rtc-stress.sh", "rtc-monitor.sh" -> both(Tool.require("shellcheck").run(out, "--severity=style", rel), Tool.require("bash").run(out, "-n", rel));
        case "99-rtc.cfg" -> both(Tool.require("shellcheck").run(out, "--shell=sh", "--severity=style", rel),
            Tool.require("dash").run(out, "-n", rel));
        case "rtc-resctrl.service", "rtc-hugepages.service", "rtc-sriov.service", "rtc-vms.service", "rtc-metrics.service",
            "rtc-metrics.timer", "rtc-monitor.service", "rtc-monitor.timer" ->
            Tool.require("systemd-analyze").run(out, "verify", "--man=no", rel);
        case "user-data" -> {
          Path copy = batch.resolve(next++ + "-user-data");
          Files.copy(out.resolve(rel), copy);
          userData.put(copy, new Pending(who, rel, manifest));
          yield null;
        }
        case "tuned.conf" -> {
          // TuneD finds a profile by its folder's name: keep the name, in a folder of its own.
          Path profile = out.resolve(rel).getParent();
          Path copy = Files.createDirectories(batch.resolve(next++ + "-tuned").resolve(profile.getFileName()));
          Files.copy(profile.resolve("tuned.conf"), copy.resolve("tuned.conf"));
          profiles.put(copy, new Pending(who, rel, manifest));
          yield null;
        }
        default -> null; // documents, plan.json, meta-data, networks' XML (virsh net-define is the end-to-end test's)
      };
      boolean batched = name.equals("user-data") || name.equals("tuned.conf");
      if (batched || run != null) {
        files++;
      }
      if (run != null) {
        record(new Pending(who, rel, manifest), run);
      }
    }
    if (userData.size() + profiles.size() >= 200) {
      flush();
    }
  }

  /**
   * A runbook, checked by parts (the class comment says why): bash -n on the whole file, shellcheck
   * on its header alone, and shellcheck on the whole file once for each shape of header.
   */
  Tool.Run runbook(Path dir, String runbook, String steps) throws IOException {
    if (!steps.equals(LIBRARY)) {
      return new Tool.Run(1, "", "runbook-steps.sh is not templates/runbook/ as it is: the check by parts cannot hold");
    }
    String text = RunbookLint.whole(runbook, steps);
    Path whole = dir.resolve("runbook-whole.sh");
    Files.writeString(whole, text);
    Tool.Run syntax = both(Tool.require("bash").run(dir, "-n", whole.toString()), Tool.require("bash").run(dir, "-n", "runbook.sh"));
    if (syntax.exit() != 0) {
      return syntax;
    }
    String header = text.substring(0, text.length() - LIBRARY.length());
    Path head = dir.resolve("runbook-header.sh");
    Files.writeString(head, header + LIBRARY_NAMES);
    Tool.Run alone = Tool.require("shellcheck").run(dir, "--severity=style", "--exclude=SC2034", head.toString());
    if (alone.exit() != 0) {
      return alone;
    }
    return shapes.computeIfAbsent(shape(header), s -> Tool.require("shellcheck").run(dir, "--severity=style", whole.toString()));
  }

  /**
   * The library's variable names, each assigned once: appended to the header checked alone, since a
   * header's value can read as arithmetic on a library variable (BUNDLE=rt-1 with a local rt: SC2100).
   */
  static final String LIBRARY_NAMES = libraryNames();

  private static String libraryNames() {
    // Code only: no comment lines, quoted strings emptied (their words are not variables).
    String code = LIBRARY.lines().filter(l -> !l.strip().startsWith("#")).collect(java.util.stream.Collectors.joining("\n"))
        .replaceAll("'[^'\n]*'", "''").replaceAll("\"(?:[^\"\\\\\n]|\\\\.)*\"", "\"\"");
    java.util.SortedSet<String> names = new java.util.TreeSet<>();
    Matcher assigned = Pattern.compile("(?m)(?:^|[ \t;(&|])([A-Za-z_][A-Za-z0-9_]*)(?:\\[[^\\]\n]*])?\\+?=").matcher(code);
    while (assigned.find()) {
      names.add(assigned.group(1));
    }
    Matcher declared = Pattern.compile("\\b(local|declare|readonly|export|for|read|mapfile|readarray|printf -v)"
        + "((?:[ \t]+-[A-Za-z]+)*(?:[ \t]+[A-Za-z_][A-Za-z0-9_]*)+)").matcher(code);
    while (declared.find()) {
      for (String w : declared.group(2).trim().split("[ \t]+")) {
        if (w.equals("in")) {
          break;
        }
        if (!w.startsWith("-")) {
          names.add(w);
          if (declared.group(1).equals("for") || declared.group(1).equals("printf -v")) {
            break;
          }
        }
      }
    }
    StringBuilder s = new StringBuilder("\n# the library's variables (for the header checked alone)\n");
    names.forEach(n -> s.append(n).append("=1\n"));
    return s.toString();
  }

  /** What of a header can change shellcheck's findings in the library: names assigned, their kind, other lines. */
  static String shape(String header) {
    StringBuilder s = new StringBuilder();
    for (String line : header.split("\n")) {
      String t = line.strip();
      if (t.startsWith("#") && !t.contains("shellcheck")) {
        continue;
      }
      Matcher m = ASSIGNMENT.matcher(t);
      boolean any = false;
      while (m.find()) {
        any = true;
        s.append(m.group(1) == null ? "" : m.group(1)).append(m.group(2)).append(m.group(3) == null ? "=" : "=(").append(' ');
      }
      s.append(any ? "\n" : t + "\n");
    }
    return s.toString();
  }

  /** Runs the batched consumers on what waits. */
  void flush() throws IOException {
    if (!userData.isEmpty()) {
      List<String> args = new ArrayList<>(List.of(Path.of("src/test/resources/consumers/cloud-init-schema-batch.py").toAbsolutePath().toString()));
      userData.keySet().forEach(p -> args.add(p.toString()));
      Tool.require("cloud-init");
      for (JsonNode r : lines(SYSTEM_PYTHON.run(batch, args.toArray(String[]::new)), userData.size())) {
        Path file = Path.of(r.get("file").asText());
        String said = r.get("out").asText() + r.get("err").asText();
        // A deprecation is a finding too: the guest's cloud-init reports itself degraded for it.
        record(userData.get(file), new Tool.Run(said.contains("deprecations") ? 1 : r.get("exit").asInt(), r.get("out").asText(), r.get("err").asText()));
        Files.delete(file);
      }
      userData.clear();
    }
    if (!profiles.isEmpty()) {
      List<String> args = new ArrayList<>(List.of(Path.of("src/test/resources/tuned/load-profiles-batch.py").toAbsolutePath().toString()));
      profiles.keySet().forEach(p -> {
        args.add(p.getParent().toString());
        args.add(p.getFileName().toString());
      });
      Tool.require("tuned-adm"); // the TuneD package, whose Python modules the loader uses
      for (JsonNode r : lines(SYSTEM_PYTHON.run(batch, args.toArray(String[]::new)), profiles.size())) {
        Path profile = Path.of(r.get("dir").asText()).resolve(r.get("name").asText());
        record(profiles.get(profile), new Tool.Run(r.get("ok").asBoolean() ? 0 : 1, "", r.get("error").asText()));
      }
      for (Path p : profiles.keySet()) {
        ConsumerSweepTest.deleteTree(p.getParent());
      }
      profiles.clear();
    }
  }

  private static List<JsonNode> lines(Tool.Run run, int expected) {
    List<JsonNode> out = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : run.out().split("\n")) {
      if (line.startsWith("{")) {
        try {
          out.add(json.readTree(line));
        } catch (IOException e) {
          throw new AssertionError("a batched consumer printed a line that is not JSON: " + line, e);
        }
      }
    }
    if (out.size() != expected) {
      throw new AssertionError("a batched consumer judged " + out.size() + " of " + expected + " files: " + run.all());
    }
    return out;
  }

  private void record(Pending p, Tool.Run run) {
    if (run.exit() != 0 || run.err().toLowerCase(Locale.ROOT).contains("warning")) {
      failures.add(p.who() + " " + p.rel() + ": " + run.all().strip() + "\n--- manifest ---\n" + p.manifest());
    }
  }

  private static Tool.Run both(Tool.Run a, Tool.Run b) {
    return a.exit() != 0 ? a : b;
  }

  @Override
  public void close() throws IOException {
    flush();
  }
}
