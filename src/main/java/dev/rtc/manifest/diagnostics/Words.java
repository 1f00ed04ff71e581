package dev.rtc.manifest.diagnostics;

/** Counts as people write them: "1 vCPU", "2 vCPUs", "1 free isolated CPU". */
public final class Words {

  private Words() {}

  /** {@code n} and the noun, plural unless {@code n} is 1 (nouns here take an s: vCPU, CPU, way, core). */
  public static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
