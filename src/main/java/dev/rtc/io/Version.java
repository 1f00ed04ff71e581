package dev.rtc.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** rtc's version, from the jar (filtered from pom.xml at build time). */
public final class Version {

  private static final String VERSION = load();

  private Version() {}

  public static String get() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("/rtc-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "dev");
    } catch (IOException e) {
      return "dev";
    }
  }
}
