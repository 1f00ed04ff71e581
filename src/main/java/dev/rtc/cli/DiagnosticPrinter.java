package dev.rtc.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rtc.emit.TreeWriter;
import dev.rtc.manifest.diagnostics.Diagnostic;
import dev.rtc.manifest.diagnostics.Severity;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * How diagnostics leave rtc, chosen per run with {@code --diagnostics}: {@code text} for people
 * (stderr), {@code json} for programs (one document on stdout, shape in docs/diagnostics.md),
 * {@code github} for GitHub Actions (workflow-command annotations on stdout, plus the text on
 * stderr for the log), {@code sarif} for code scanning (one SARIF 2.1.0 log on stdout for the whole
 * run, see {@link Sarif}, plus the text on stderr). A picocli mixin, so every command that reads a
 * manifest has the same options.
 */
final class DiagnosticPrinter {

  enum Format {
    text, json, github, sarif;

    /** Whether stdout carries a document for a program; then rtc's own lines for people go to stderr. */
    boolean machine() {
      return this == json || this == sarif;
    }
  }

  /** The options; {@code @Mixin} them into a command. */
  static final class Options {
    @Option(names = "--diagnostics", paramLabel = "FORMAT", defaultValue = "text",
        description = "How to print diagnostics: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format = Format.text;

    @Option(names = "--warnings-as-errors", description = "Fail (exit 1, write nothing) when there are warnings.")
    boolean warningsAsErrors;

    /** With sarif: every manifest's findings of this run, printed as one log by {@link #finish}. */
    final Sarif sarif = new Sarif();
  }

  /** Ends a run: with sarif, prints the one log of all of it. Call once, after the last {@link #print}. */
  static void finish(Options o, PrintWriter out) {
    if (o.format == Format.sarif) {
      out.print(o.sarif.render());
      out.flush();
    }
  }

  /** The JSON shape's version; bump it when a field changes meaning or disappears. */
  static final int JSON_VERSION = 1;

  private DiagnosticPrinter() {}

  /** With {@code --warnings-as-errors}, every warning becomes an error of the same code. */
  static List<Diagnostic> promote(List<Diagnostic> diagnostics, Options o) {
    if (!o.warningsAsErrors) {
      return diagnostics;
    }
    return diagnostics.stream().map(d -> d.isError() ? d
        : new Diagnostic(Severity.ERROR, d.code(), d.location(), d.path(), d.message() + " [--warnings-as-errors]", d.hint())).toList();
  }

  /**
   * Prints the diagnostics of one manifest.
   *
   * @param written the bundle folder when one was written, else null
   */
  static void print(String manifest, List<Diagnostic> diagnostics, String written, Options o, PrintWriter out, PrintWriter err) {
    print(manifest, diagnostics, written, o, out, err, false);
  }

  /** @param inFleet one manifest of several: its error count names it, so it does not read as the whole fleet's */
  static void print(String manifest, List<Diagnostic> diagnostics, String written, Options o, PrintWriter out, PrintWriter err,
      boolean inFleet) {
    String of = inFleet ? manifest : null;
    switch (o.format) {
      case json -> out.println(json(manifest, diagnostics, written));
      case github -> {
        diagnostics.forEach(d -> out.println(github(d)));
        text(diagnostics, written != null, of, err);
      }
      case sarif -> {
        o.sarif.add(diagnostics);
        text(diagnostics, written != null, of, err);
      }
      case text -> text(diagnostics, written != null, of, err);
    }
    out.flush();
    err.flush();
  }

  static void text(List<Diagnostic> diagnostics, boolean written, String inFleet, PrintWriter err) {
    diagnostics.forEach(d -> err.println(d.render()));
    long errors = diagnostics.stream().filter(Diagnostic::isError).count();
    long warnings = diagnostics.size() - errors;
    if (errors > 0) {
      err.println(count(errors, "error") + (warnings > 0 ? ", " + count(warnings, "warning") : "")
          + (inFleet != null ? " in " + inFleet + (written ? "" : "; nothing was written for it") : written ? "" : "; nothing was written"));
    }
  }

  private static String count(long n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }

  static String json(String manifest, List<Diagnostic> diagnostics, String written) {
    ObjectNode doc = JsonNodeFactory.instance.objectNode();
    long errors = diagnostics.stream().filter(Diagnostic::isError).count();
    doc.put("version", JSON_VERSION);
    doc.put("manifest", manifest);
    doc.put("ok", errors == 0);
    doc.put("errors", errors);
    doc.put("warnings", diagnostics.size() - errors);
    if (written != null) {
      doc.put("output", written);
    } else {
      doc.putNull("output");
    }
    ArrayNode list = doc.putArray("diagnostics");
    for (Diagnostic d : diagnostics) {
      ObjectNode n = list.addObject();
      n.put("severity", d.severity().label());
      n.put("code", d.code().name());
      n.put("summary", d.code().summary());
      n.put("file", d.location().file());
      if (d.location().line() > 0) {
        n.put("line", d.location().line());
        n.put("column", d.location().column());
      } else {
        n.putNull("line");
        n.putNull("column");
      }
      n.put("path", d.path());
      n.put("message", d.message());
      n.put("hint", d.hint());
    }
    // The tree writer, not an ObjectMapper: building one costs a cold start about 15 ms, even
    // for the runs that print text.
    String json = TreeWriter.json(doc);
    return json.substring(0, json.length() - 1);
  }

  /** {@code ::error file=F,line=L,col=C,title=RTC021::message}, escaped as the runner expects. */
  static String github(Diagnostic d) {
    StringBuilder sb = new StringBuilder("::").append(d.isError() ? "error" : "warning");
    sb.append(" file=").append(property(d.location().file()));
    if (d.location().line() > 0) {
      sb.append(",line=").append(d.location().line()).append(",col=").append(d.location().column());
    }
    sb.append(",title=").append(property(d.code().name() + " " + d.code().summary()));
    String text = (d.path().isEmpty() ? "" : d.path() + ": ") + d.message() + (d.hint().isEmpty() ? "" : " (hint: " + d.hint() + ")");
    return sb.append("::").append(data(text)).toString();
  }

  private static String data(String s) {
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A");
  }

  private static String property(String s) {
    return data(s).replace(":", "%3A").replace(",", "%2C");
  }
}
