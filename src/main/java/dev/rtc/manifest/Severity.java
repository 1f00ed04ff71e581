package dev.rtc.manifest;

public enum Severity {
  ERROR, WARNING;

  public String label() {
    return this == ERROR ? "error" : "warning";
  }
}
