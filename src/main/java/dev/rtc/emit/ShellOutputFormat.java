package dev.rtc.emit;

import freemarker.core.CommonMarkupOutputFormat;
import freemarker.core.CommonTemplateMarkupOutputModel;
import java.io.IOException;
import java.io.Writer;

/**
 * FreeMarker output format for shell templates ({@code *.sh.ftl}, {@code *.cfg.ftl}): every
 * {@code ${…}} is passed through {@link Shell#quote} automatically, so a template cannot forget to
 * quote. Text the template itself writes is not touched; {@code ?no_esc} marks the rare value that
 * is already shell (and must never carry user data).
 */
public final class ShellOutputFormat extends CommonMarkupOutputFormat<ShellOutputFormat.Quoted> {

  public static final ShellOutputFormat INSTANCE = new ShellOutputFormat();

  private ShellOutputFormat() {}

  @Override
  public String getName() {
    return "shell";
  }

  @Override
  public String getMimeType() {
    return "text/x-shellscript";
  }

  @Override
  public void output(String textToEsc, Writer out) throws IOException {
    out.write(Shell.quote(textToEsc));
  }

  @Override
  public String escapePlainText(String plainTextContent) {
    return Shell.quote(plainTextContent);
  }

  @Override
  public boolean isLegacyBuiltInBypassed(String builtInName) {
    return false;
  }

  @Override
  protected Quoted newTemplateMarkupOutputModel(String plainTextContent, String markupContent) {
    return new Quoted(plainTextContent, markupContent);
  }

  /** A value already quoted for the shell. */
  public static final class Quoted extends CommonTemplateMarkupOutputModel<Quoted> {
    Quoted(String plainTextContent, String markupContent) {
      super(plainTextContent, markupContent);
    }

    @Override
    public ShellOutputFormat getOutputFormat() {
      return INSTANCE;
    }
  }
}
