package dev.rtc.emit;

import freemarker.cache.ClassTemplateLoader;
import freemarker.cache.ConditionalTemplateConfigurationFactory;
import freemarker.cache.FileExtensionMatcher;
import freemarker.cache.OrMatcher;
import freemarker.core.PlainTextOutputFormat;
import freemarker.core.TemplateConfiguration;
import freemarker.template.Configuration;
import freemarker.template.Template;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;

/**
 * The FreeMarker set-up for {@code templates/}: fixed locale, time zone and number format (so
 * output never depends on the machine), strict about missing values, and shell auto-quoting for
 * shell templates. Built on first use only; a command that renders nothing never pays for it.
 * Every template is given a record (RunbookModel, PlanDocument, ReportEmitter.Model, TemplateModels),
 * never a map: what a template reads is a type, and a renamed value fails the compile.
 */
final class Templates {

  private static volatile Configuration config;

  private Templates() {}

  static String render(String name, Record model) {
    return process(name, model).toString();
  }

  /** The rendered template as UTF-8, for a bundle file: no String in between. */
  static byte[] renderUtf8(String name, Record model) {
    return process(name, model).utf8();
  }

  private static TextWriter process(String name, Record model) {
    try {
      TextWriter out = new TextWriter();
      template(name).process(model, out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (TemplateException e) {
      throw new IllegalStateException("template " + name + ": " + e.getMessage(), e);
    }
  }

  /** A file of templates/ as it is, not a template: the runbook's steps, the same in every bundle. */
  static byte[] verbatim(String name) {
    return VERBATIM.computeIfAbsent(name, n -> {
      try (java.io.InputStream in = Templates.class.getResourceAsStream("/templates/" + n)) {
        if (in == null) {
          throw new IllegalStateException("templates/" + n + " is not in rtc's jar");
        }
        return in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).clone();
  }

  private static final Map<String, byte[]> VERBATIM = new java.util.concurrent.ConcurrentHashMap<>();

  /** Parses templates ahead of need. */
  static void prepare(java.util.List<String> names) {
    try {
      for (String n : names) {
        template(n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A parsed template, once per process. The templates are in the jar and never change while rtc
   * runs, so FreeMarker's cache (a keyed lookup, and a check of the jar entry for changes every
   * few seconds) has nothing to add after the first parse. Template objects are thread-safe.
   */
  private static Template template(String name) throws IOException {
    Template t = PARSED.get(name);
    if (t == null) {
      t = configuration().getTemplate(name);
      PARSED.putIfAbsent(name, t);
    }
    return t;
  }

  private static final Map<String, Template> PARSED = new java.util.concurrent.ConcurrentHashMap<>();

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
