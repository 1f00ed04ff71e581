package dev.rtc.manifest.diagnostics;

/** A place in a manifest file; line and column are 1-based, as editors count them. */
public record SourceLocation(String file, int line, int column) {

  /** A file name is the user's text too (see {@link Printable}). */
  public SourceLocation {
    file = Printable.escape(file);
  }

  public static SourceLocation file(String file) {
    return new SourceLocation(file, 0, 0);
  }

  @Override
  public String toString() {
    return line > 0 ? file + ":" + line + ":" + column : file;
  }
}
