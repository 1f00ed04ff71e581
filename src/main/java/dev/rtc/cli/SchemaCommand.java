package dev.rtc.cli;

import dev.rtc.manifest.SchemaCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "schema", mixinStandardHelpOptions = true, description = "Prints the manifest's JSON Schema (draft-07, with its $id), for editors and other tools.",
    footer = {"", "Example:", "  rtc schema > manifest.schema.json"})
final class SchemaCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(SchemaCheck.schemaText());
    spec.commandLine().getOut().flush();
    return Main.OK;
  }
}
