package dev.rtc.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.report.QualifyFleet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "qualify", mixinStandardHelpOptions = true,
    description = {"Compares the platform qualification records of many hosts (runbook.sh qualify writes one per run, under "
        + "/var/lib/rtc/<bundle>/qualify/; each benchmark run and report tarball carries one as results/host/qualify.json).",
        "Hosts are grouped by board (vendor, product, board, BIOS version, CPU), each by its latest record; in a group of three "
            + "or more, a host whose hardware latency, OS noise, SMIs or clock spread is more than twice the group's median "
            + "(and at least 5 more) is marked: identical boards should measure alike."},
    footer = {"", "Examples:", "  rtc qualify evidence/", "  rtc qualify --json alpha/qualify.json bravo/qualify.json", "",
        "Exit codes: 0 every record passed and no host stands out, 1 a record did not pass or a host stands out, 2 usage error",
        "(no record found), 4 a file could not be read."})
final class QualifyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "PATH", description = "Record files, or folders to search for them (six levels deep).")
  List<Path> paths;

  @Option(names = "--json", description = "Print the comparison as JSON instead of tables.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    var out = spec.commandLine().getOut();
    for (Path p : paths) {
      if (!java.nio.file.Files.exists(p)) {
        spec.commandLine().getErr().println("rtc: " + p + ": no such file or folder");
        return Main.USAGE;
      }
    }
    List<QualifyFleet.Entry> entries = QualifyFleet.read(paths);
    if (entries.isEmpty()) {
      spec.commandLine().getErr().println("rtc: no qualification record (rtcQualification) in " + paths + "; runbook.sh qualify writes "
          + "them under /var/lib/rtc/<bundle>/qualify/ on each host");
      return Main.USAGE;
    }
    List<QualifyFleet.Group> groups = QualifyFleet.compare(entries);
    boolean bad = entries.stream().anyMatch(e -> !e.status().equals("passed")) || groups.stream().anyMatch(g -> !g.outliers().isEmpty());
    if (json) {
      out.print(json(groups));
    } else {
      for (QualifyFleet.Group g : groups) {
        out.println(g.board() + " (" + g.entries().size() + (g.entries().size() == 1 ? " host)" : " hosts)"));
        out.println(String.format(Locale.ROOT, "  %-24s %-11s %-18s %9s %9s %6s %6s", "host", "status", "record", "hwlat us", "noise us",
            "SMIs", "clock%"));
        for (QualifyFleet.Entry e : g.entries()) {
          out.println(String.format(Locale.ROOT, "  %-24s %-11s %-18s %9s %9s %6s %6s", e.bundle(), e.status(), e.id(),
              cell(g, e, "qualify.hwlat"), cell(g, e, "qualify.osnoise"), cell(g, e, "qualify.smi"), cell(g, e, "qualify.frequency")));
        }
        for (QualifyFleet.Outlier o : g.outliers()) {
          out.println("  stands out: " + o.bundle() + " " + o.measure() + " " + o.value() + " where its identical boards' median is "
              + o.median() + ": compare its BIOS settings and firmware with theirs");
        }
        out.println();
      }
      long failed = entries.stream().filter(e -> !e.status().equals("passed")).count();
      out.println(entries.size() + " hosts, " + groups.size() + " boards; " + failed + " records not passed, "
          + groups.stream().mapToInt(g -> g.outliers().size()).sum() + " measures standing out");
    }
    return bad ? 1 : Main.OK;
  }

  /** A measure's value, "-" when not measured, with a "!" when it stands out. */
  private static String cell(QualifyFleet.Group g, QualifyFleet.Entry e, String measure) {
    QualifyFleet.Finding f = e.findings().get(measure);
    if (f == null || !f.value().matches("[0-9]{1,12}")) {
      return "-";
    }
    boolean odd = g.outliers().stream().anyMatch(o -> o.bundle().equals(e.bundle()) && o.measure().equals(measure));
    return f.value() + (odd ? "!" : "") + (f.status().equals("failed") ? "F" : "");
  }

  private static String json(List<QualifyFleet.Group> groups) {
    JsonNodeFactory n = JsonNodeFactory.instance;
    ArrayNode root = n.arrayNode();
    for (QualifyFleet.Group g : groups) {
      ObjectNode o = root.addObject();
      o.put("board", g.board());
      ArrayNode hosts = o.putArray("hosts");
      for (QualifyFleet.Entry e : g.entries()) {
        ObjectNode h = hosts.addObject();
        h.put("bundle", e.bundle()).put("record", e.id()).put("status", e.status()).put("source", e.source().toString());
        ObjectNode m = h.putObject("measures");
        for (String id : QualifyFleet.MEASURES) {
          QualifyFleet.Finding f = e.findings().get(id);
          if (f != null) {
            m.putObject(id).put("status", f.status()).put("value", f.value());
          }
        }
      }
      ArrayNode odd = o.putArray("standsOut");
      g.outliers().forEach(x -> odd.addObject().put("bundle", x.bundle()).put("measure", x.measure()).put("value", x.value())
          .put("median", x.median()));
    }
    try {
      return new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
