package dev.rtc.cli;

import dev.rtc.Compiler;
import dev.rtc.io.Version;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rtc}: the entry point. Exit codes: 0 ok, 1 manifest errors, 2 usage errors, 3 internal
 * error, 4 a file could not be read or written (the disk, permissions, another rtc on the folder).
 */
@Command(name = "rtc", mixinStandardHelpOptions = true, versionProvider = Main.VersionProvider.class,
    description = "Compiles a real-time KVM host deployment manifest into ready-to-apply artifacts.",
    footer = {"", "Example manifests: share/rtc/examples/ of an installed rtc (examples/ in its sources); rtc init writes one for a host.",
        "Exit codes: 0 ok, 1 the manifest has errors, 2 usage error, 3 internal error (a bug in rtc),",
        "4 a file could not be read or written (disk full, permission denied, another rtc writing the same folder)."})
public final class Main implements Runnable {

  public static final int OK = 0;
  public static final int MANIFEST_ERRORS = 1;
  public static final int USAGE = 2;
  public static final int INTERNAL = 3;
  /** Reading or writing a file failed for a reason outside rtc and the manifest; nothing was left half-done. */
  public static final int IO = 4;

  /**
   * The commands, in the order {@code --help} lists them. Not in the {@code @Command} annotation:
   * picocli reflects over every listed command when the tree is built, and a cold start should pay
   * only for the command it runs (see {@link #commandLine(String[])}).
   */
  private static final Map<String, Supplier<Object>> COMMANDS = new LinkedHashMap<>();

  static {
    COMMANDS.put("compile", CompileCommand::new);
    COMMANDS.put("validate", ValidateCommand::new);
    COMMANDS.put("explain", ExplainCommand::new);
    COMMANDS.put("diff", DiffCommand::new);
    COMMANDS.put("report", ReportCommand::new);
    COMMANDS.put("qualify", QualifyCommand::new);
    COMMANDS.put("probe", ProbeCommand::new);
    COMMANDS.put("init", InitCommand::new);
    COMMANDS.put("schema", SchemaCommand::new);
    COMMANDS.put("migrate", MigrateCommand::new);
    COMMANDS.put("completion", CompletionCommand::new);
  }

  /** The commands that load and check manifests, so need the schema. */
  private static final java.util.Set<String> READ_MANIFESTS = java.util.Set.of("compile", "validate", "explain", "diff", "init");

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** The whole command tree: for help, the completion script and the man page. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    COMMANDS.forEach((name, command) -> cli.addSubcommand(name, command.get()));
    cli.addSubcommand("help", new CommandLine.HelpCommand());
    return cli;
  }

  /**
   * The tree that {@code args} need: only the named command when the first word names one (building
   * picocli's model of all ten costs a cold start about 25 ms), else the whole tree, so that help,
   * completion and the "did you mean" of a mistyped command see every command.
   */
  static CommandLine commandLine(String[] args) {
    if (args.length == 0 || !COMMANDS.containsKey(args[0]) || args[0].equals("completion")) {
      return commandLine();
    }
    CommandLine cli = new CommandLine(new Main());
    cli.addSubcommand(args[0], COMMANDS.get(args[0]).get());
    return cli;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a command, e.g. rtc compile manifest.yaml -o out/");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs rtc with the given streams; tests call this instead of {@link #main}. Whatever happens,
   * the answer is one of the documented exit codes: a Java {@link Error} too (out of memory, or a
   * class that cannot be loaded because rtc's jar was replaced while it ran) is an internal error.
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    return guarded(() -> execute(args, out, err), err);
  }

  /** Runs {@code body}; whatever it throws, Errors included, becomes the internal-error exit code and a message. */
  static int guarded(java.util.function.IntSupplier body, PrintWriter err) {
    try {
      return body.getAsInt();
    } catch (Throwable t) { // an Error, or a bug in the code around picocli's own handlers
      return internalError(t, err);
    }
  }

  private static int internalError(Throwable t, PrintWriter err) {
    try {
      if (t instanceof LinkageError || t instanceof java.util.zip.ZipException) {
        err.println("rtc: internal error: " + t + ". Was rtc's jar replaced while it ran? Run the command again.");
      } else if (t instanceof OutOfMemoryError) {
        err.println("rtc: internal error: out of memory (" + t.getMessage() + "). Please report it with the command line.");
      } else {
        err.println("rtc: internal error (a bug in rtc, not in your manifest). Please report it with the manifest and this trace:");
        t.printStackTrace(err);
      }
      err.flush();
    } catch (Throwable ignored) {
      // nothing more can be said; the exit code says it
    }
    return INTERNAL;
  }

  private static int execute(String[] args, PrintWriter out, PrintWriter err) {
    if (args.length > 0 && READ_MANIFESTS.contains(args[0])) {
      Compiler.prepare(); // the schema loads while picocli builds its model and parses the arguments
    }
    if (args.length > 0 && args[0].equals("compile")) {
      dev.rtc.emit.Emitters.prepareInBackground(); // and the templates and JAXB's context, for the emitters
    }
    CommandLine cli = commandLine(args);
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? USAGE : INTERNAL);
    cli.setParameterExceptionHandler(new UsageErrors());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      // A command that could not read or write a file says so itself; one that let the failure
      // through still gets the I/O code and a plain sentence, not a trace.
      java.io.IOException io = e instanceof java.io.IOException i ? i
          : e instanceof java.io.UncheckedIOException u ? u.getCause() : null;
      if (io != null) {
        err.println("rtc: " + dev.rtc.io.IoErrors.describe(io));
        err.flush();
        return IO;
      }
      return internalError(e, err);
    });
    return cli.execute(args);
  }

  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"rtc " + Version.get()};
    }
  }
}
