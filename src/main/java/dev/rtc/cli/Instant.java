package dev.rtc.cli;

import dev.rtc.io.Version;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The answers that need no command tree: {@code --version}, the top-level {@code --help} and
 * the completion script. picocli builds its model of every command by reflection before it can
 * print either, which costs a cold start more than the JVM itself; the texts are written into the
 * jar at package time (by {@link ManPage}) from that same model, so what is printed is what picocli
 * would print, and read back here in one small read.
 */
final class Instant {

  static final String HELP = "/rtc-help.txt";
  static final String COMPLETION = "/rtc-completion.bash";

  private Instant() {}

  /** What {@code args} print without picocli, when they are one of the instant questions and the jar has the text. */
  static Optional<String> answer(String[] args) {
    if (args.length != 1) {
      return Optional.empty();
    }
    return switch (args[0]) {
      case "--version", "-V" -> Optional.of("rtc " + Version.get() + "\n");
      case "--help", "-h" -> resource(HELP);
      case "completion" -> resource(COMPLETION);
      default -> Optional.empty();
    };
  }

  /** The top-level help as picocli prints it for {@code rtc --help}. */
  static String help() {
    return picocliPrints("--help");
  }

  /** The completion script as {@code rtc completion} prints it. */
  static String completion() {
    return picocliPrints("completion");
  }

  private static String picocliPrints(String arg) {
    StringWriter out = new StringWriter();
    Main.run(new String[] {arg}, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
    return out.toString();
  }

  private static Optional<String> resource(String name) {
    try (InputStream in = Instant.class.getResourceAsStream(name)) {
      return in == null ? Optional.empty() : Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return Optional.empty(); // picocli answers instead
    }
  }
}
