package dev.rtc.cli;

import dev.rtc.manifest.Diagnostic;
import java.io.PrintWriter;
import java.util.List;

/** Renders diagnostics for people: one line each, then a count. */
final class DiagnosticPrinter {

  private DiagnosticPrinter() {}

  static void print(List<Diagnostic> diagnostics, PrintWriter err) {
    diagnostics.forEach(d -> err.println(d.render()));
    long errors = diagnostics.stream().filter(Diagnostic::isError).count();
    long warnings = diagnostics.size() - errors;
    if (errors > 0) {
      err.println(errors + (errors == 1 ? " error" : " errors") + (warnings > 0 ? ", " + warnings + (warnings == 1 ? " warning" : " warnings") : "")
          + "; nothing was written");
    }
    err.flush();
  }
}
