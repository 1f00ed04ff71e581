package dev.rtc.manifest.diagnostics;

public enum Severity {
  ERROR, WARNING;

  public String label() {
    return this == ERROR ? "error" : "warning";
  }
}
