package dev.rtc.cli;

/**
 * The jar's entry point: answers the instant questions ({@link Instant}) before {@link Main} and
 * its table of commands are even loaded, and hands everything else to {@link Main#main}.
 */
public final class Launch {

  private Launch() {}

  public static void main(String[] args) {
    java.util.Optional<String> instant = Instant.answer(args);
    if (instant.isPresent()) {
      System.out.print(instant.get());
      System.out.flush();
      System.exit(System.out.checkError() ? Main.IO : Main.OK);
    }
    Main.main(args);
  }
}
