package dev.rtc.manifest.diagnostics;

import java.util.Comparator;

/**
 * One finding about a manifest: what, where (file position and the manifest path), and how to fix
 * it. A value; {@code dev.rtc.cli.DiagnosticPrinter} renders it.
 *
 * @param path the manifest path in user terms, e.g. {@code vms[0].vcpus}; empty for the whole file
 * @param hint how to fix it; empty when the message says it all
 */
public record Diagnostic(Severity severity, Code code, SourceLocation location, String path,
    String message, String hint) {

  /** Whatever of the user's text a diagnostic echoes is made {@link Printable} here, once for every output format. */
  public Diagnostic {
    path = Printable.escape(path);
    message = Printable.escape(message);
    hint = Printable.escape(hint);
  }

  /** File order first, so diagnostics read top to bottom like the manifest. */
  public static final Comparator<Diagnostic> ORDER = Comparator
      .comparing((Diagnostic d) -> d.location().file())
      .thenComparingInt(d -> d.location().line())
      .thenComparingInt(d -> d.location().column())
      .thenComparing(d -> d.code().name())
      .thenComparing(Diagnostic::message);

  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /** {@code eci.yaml:31:5: error[RTC060]: vms[0].vcpus: message (hint: …)} */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append(location).append(": ").append(severity.label()).append('[').append(code.name()).append("]: ");
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    sb.append(message);
    if (!hint.isEmpty()) {
      sb.append(" (hint: ").append(hint).append(')');
    }
    return sb.toString();
  }
}
