package dev.rtc.plan;

import java.util.List;

/** An ordered list of kernel arguments; the order is fixed so output never churns (see {@link KernelArgs}). */
public record KernelCmdline(List<KernelArg> args) {

  public KernelCmdline {
    args = List.copyOf(args);
  }

  public List<String> strings() {
    return args.stream().map(KernelArg::toString).toList();
  }

  @Override
  public String toString() {
    return String.join(" ", strings());
  }

  public int length() {
    return toString().length();
  }

  /** The keys, for stripping earlier copies of the same arguments from an existing command line. */
  public List<String> keys() {
    return args.stream().map(KernelArg::key).distinct().toList();
  }

  /**
   * @param why one line for plan.md
   */
  public record KernelArg(String key, String value, String why) {
    @Override
    public String toString() {
      return value.isEmpty() ? key : key + "=" + value;
    }
  }
}
