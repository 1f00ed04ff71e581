package dev.rtc.emit;

import freemarker.cache.ClassTemplateLoader;
import freemarker.cache.ConditionalTemplateConfigurationFactory;
import freemarker.cache.FileExtensionMatcher;
import freemarker.cache.OrMatcher;
import freemarker.core.PlainTextOutputFormat;
import freemarker.core.TemplateConfiguration;
import freemarker.template.Configuration;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;

/**
 * The FreeMarker set-up for {@code templates/}: fixed locale, time zone and number format (so
 * output never depends on the machine), strict about missing values, and shell auto-quoting for
 * shell templates. Built on first use only; a command that renders nothing never pays for it.
 */
final class Templates {

  private static volatile Configuration config;

  private Templates() {}

  static String render(String name, Map<String, Object> model) {
    try {
      StringWriter out = new StringWriter();
      configuration().getTemplate(name).process(model, out);
      return out.toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (TemplateException e) {
      throw new IllegalStateException("template " + name + ": " + e.getMessage(), e);
    }
  }

  /** Parses templates ahead of need; FreeMarker's template cache is shared and thread-safe. */
  static void prepare(java.util.List<String> names) {
    try {
      for (String n : names) {
        configuration().getTemplate(n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Configuration configuration() {
    Configuration c = config;
    if (c == null) {
      synchronized (Templates.class) {
        c = config;
        if (c == null) {
          config = c = build();
        }
      }
    }
    return c;
  }

  private static Configuration build() {
    Configuration c = new Configuration(Configuration.VERSION_2_3_33);
    c.setTemplateLoader(new ClassTemplateLoader(Templates.class, "/templates"));
    c.setDefaultEncoding("UTF-8");
    c.setOutputEncoding("UTF-8");
    c.setLocale(Locale.ROOT);
    c.setTimeZone(TimeZone.getTimeZone("UTC"));
    c.setNumberFormat("c");
    c.setBooleanFormat("c");
    c.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
    c.setLogTemplateExceptions(false);
    c.setWrapUncheckedExceptions(true);
    c.setFallbackOnNullLoopVariable(false);
    c.setRegisteredCustomOutputFormats(List.of(ShellOutputFormat.INSTANCE));
    TemplateConfiguration shell = new TemplateConfiguration();
    shell.setOutputFormat(ShellOutputFormat.INSTANCE);
    // [=x] instead of ${x}, so that bash's own ${...} in the templates stays literal.
    shell.setInterpolationSyntax(Configuration.SQUARE_BRACKET_INTERPOLATION_SYNTAX);
    c.setTemplateConfigurations(new ConditionalTemplateConfigurationFactory(
        new OrMatcher(new FileExtensionMatcher("sh.ftl"), new FileExtensionMatcher("cfg.ftl")), shell));
    c.setOutputFormat(PlainTextOutputFormat.INSTANCE);
    return c;
  }
}
