package dev.rtc.manifest.diagnostics;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects diagnostics for one manifest. Stages report into it instead of throwing, so the user
 * sees every problem at once; {@link #orThrow()} stops the pipeline between stages.
 */
public final class Diagnostics {

  private final String file;
  private final SourceMap sourceMap;
  private final List<Diagnostic> list = new ArrayList<>();

  public Diagnostics(String file, SourceMap sourceMap) {
    this.file = file;
    this.sourceMap = sourceMap;
  }

  public void error(Code code, String pointer, String message, String hint) {
    add(Severity.ERROR, code, pointer, message, hint);
  }

  public void warning(Code code, String pointer, String message, String hint) {
    add(Severity.WARNING, code, pointer, message, hint);
  }

  public void add(Severity severity, Code code, String pointer, String message, String hint) {
    list.add(new Diagnostic(severity, code, sourceMap.locate(file, pointer), Pointers.display(pointer),
        message, hint == null ? "" : hint));
  }

  /** At the key that names {@code pointer} when {@code atKey}, else at its value. */
  public void add(Severity severity, Code code, String pointer, boolean atKey, String message, String hint) {
    SourceLocation where = atKey ? sourceMap.locateKey(file, pointer) : sourceMap.locate(file, pointer);
    list.add(new Diagnostic(severity, code, where, Pointers.display(pointer), message, hint == null ? "" : hint));
  }

  /** Located at the key that names {@code pointer} rather than at its value (unknown keys). */
  public void errorAtKey(Code code, String pointer, String message, String hint) {
    list.add(new Diagnostic(Severity.ERROR, code, sourceMap.locateKey(file, pointer), Pointers.display(pointer),
        message, hint == null ? "" : hint));
  }

  /** For a position the tree does not hold, e.g. a YAML syntax error. */
  public void errorAt(Code code, SourceLocation location, String message, String hint) {
    list.add(new Diagnostic(Severity.ERROR, code, location, "", message, hint == null ? "" : hint));
  }

  /** A scratch collector for the same file, for a stage that may be tried more than once. */
  public Diagnostics scratch() {
    return new Diagnostics(file, sourceMap);
  }

  /** Takes over one finding of a scratch collector. */
  public void add(Diagnostic found) {
    list.add(found);
  }

  /** Takes over what a scratch collector found. */
  public void addAll(Diagnostics other) {
    list.addAll(other.list);
  }

  public int errorCount() {
    return (int) list.stream().filter(Diagnostic::isError).count();
  }

  /** The codes of the errors found so far. */
  public java.util.Set<Code> errorCodes() {
    return list.stream().filter(Diagnostic::isError).map(Diagnostic::code)
        .collect(java.util.stream.Collectors.toCollection(() -> java.util.EnumSet.noneOf(Code.class)));
  }

  /** Takes over the findings of a scratch collector whose code is one of {@code codes}. */
  public void addAll(Diagnostics other, java.util.Set<Code> codes) {
    other.list.stream().filter(f -> codes.contains(f.code())).forEach(list::add);
  }

  public boolean hasErrors() {
    return list.stream().anyMatch(Diagnostic::isError);
  }

  public List<Diagnostic> all() {
    // distinct: a schema's oneOf can fail the same way in each branch; say it once.
    return list.stream().distinct().sorted(Diagnostic.ORDER).toList();
  }

  /** Ends the stage: throws when any error was reported. */
  public void orThrow() {
    if (hasErrors()) {
      throw new ManifestException(all());
    }
  }

  public SourceMap sourceMap() {
    return sourceMap;
  }

  public String file() {
    return file;
  }
}
