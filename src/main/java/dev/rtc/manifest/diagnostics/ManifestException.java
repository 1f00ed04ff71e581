package dev.rtc.manifest.diagnostics;

import java.util.List;

/** The manifest has errors; carries all of them (and any warnings found on the way). */
public final class ManifestException extends RuntimeException {

  private final transient List<Diagnostic> diagnostics;

  public ManifestException(List<Diagnostic> diagnostics) {
    super(diagnostics.isEmpty() ? "manifest has errors" : diagnostics.get(0).render(), null, false, false);
    this.diagnostics = List.copyOf(diagnostics);
  }

  public List<Diagnostic> diagnostics() {
    return diagnostics;
  }
}
