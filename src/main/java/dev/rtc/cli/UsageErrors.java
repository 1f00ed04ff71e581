package dev.rtc.cli;

import dev.rtc.manifest.diagnostics.Suggest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * How a usage error is told: the mistake, what was probably meant, and where the help is; not the
 * whole help (25 lines of it bury the one that matters). A misspelt option is named as such:
 * picocli takes {@code --ouput DIR} for two more manifests and then reports the missing
 * {@code --output}, which sends the user looking for the wrong mistake.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {

  @Override
  public int handleParseException(CommandLine.ParameterException ex, String[] args) {
    CommandLine cmd = ex.getCommandLine();
    PrintWriter err = cmd.getErr();
    CommandSpec spec = cmd.getCommandSpec();
    String name = spec.qualifiedName();
    List<String> unknown = unknownOptions(spec, args);
    String command = args.length > 0 && !spec.subcommands().isEmpty() && !args[0].startsWith("-") ? args[0] : null;
    if (command != null && !spec.subcommands().containsKey(command)) {
      // rtc compil m.yaml -o out: the command is the mistake, not the option picocli trips on next.
      String meant = Suggest.closest(command, spec.subcommands().keySet());
      err.println(name + ": unknown command '" + command + "'" + (meant != null ? "; did you mean '" + meant + "'?" : ""));
    } else if (!unknown.isEmpty()) {
      List<String> known = new ArrayList<>();
      spec.options().forEach(o -> known.addAll(List.of(o.names())));
      for (String u : unknown) {
        String typed = u.contains("=") ? u.substring(0, u.indexOf('=')) : u;
        String meant = Suggest.closest(typed, known);
        err.println(name + ": unknown option '" + typed + "'" + (meant != null ? "; did you mean " + meant + "?" : ""));
      }
    } else if (ex instanceof CommandLine.UnmatchedArgumentException u && !spec.subcommands().isEmpty()
        && !u.getUnmatched().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
      err.println(name + ": unknown command '" + u.getUnmatched().get(0) + "'");
      CommandLine.UnmatchedArgumentException.printSuggestions(u, err);
    } else {
      err.println(name + ": " + lowerFirst(ex.getMessage()));
      if (ex instanceof CommandLine.UnmatchedArgumentException u) {
        CommandLine.UnmatchedArgumentException.printSuggestions(u, err);
      }
    }
    err.println("Run '" + name + " --help' for usage.");
    err.flush();
    return Main.USAGE;
  }

  /** The words of {@code args}, after the command's name, that look like options the command does not have. */
  static List<String> unknownOptions(CommandSpec spec, String[] args) {
    List<String> unknown = new ArrayList<>();
    int start = 0;
    if (spec.parent() != null) { // a subcommand: its own words start after its name
      while (start < args.length && !args[start].equals(spec.name())) {
        start++;
      }
      start++;
    }
    for (int i = start; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--")) {
        break; // what follows is operands only
      }
      if (!a.startsWith("-") || a.equals("-")) {
        continue;
      }
      String optName = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
      OptionSpec o = spec.findOption(optName);
      if (o == null && !a.startsWith("--") && a.length() > 2) {
        o = spec.findOption(a.substring(0, 2)); // -j4, -oout: a short option and its value in one word
        if (o != null) {
          continue;
        }
      }
      if (o == null) {
        unknown.add(a);
      } else if (o.arity().min() > 0 && !a.contains("=")) {
        i++; // its value, which may itself start with '-'
      }
    }
    return unknown;
  }

  private static String lowerFirst(String s) {
    return s == null || s.isEmpty() ? "bad arguments" : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
