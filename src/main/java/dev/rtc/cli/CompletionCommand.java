package dev.rtc.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "completion", mixinStandardHelpOptions = true,
    description = "Prints a completion script for bash (zsh: load it after 'autoload -U +X bashcompinit && bashcompinit').",
    footer = {"", "Examples:", "  rtc completion > /etc/bash_completion.d/rtc", "  source <(rtc completion)"})
final class CompletionCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("rtc", Main.commandLine()));
    spec.commandLine().getOut().flush();
    return Main.OK;
  }
}
