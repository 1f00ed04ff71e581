package dev.rtc.plan;

/** RandomPlansTest's generated hosts and deployments, for tests in other packages (the consumer sweep). */
public final class RandomPlansTestAccess {

  private RandomPlansTestAccess() {}

  /** The manifest RandomPlansTest generates for {@code seed}: a debian12 host, VMs on base.qcow2. */
  public static String yaml(long seed) {
    return RandomPlansTest.generate(seed).yaml();
  }
}
