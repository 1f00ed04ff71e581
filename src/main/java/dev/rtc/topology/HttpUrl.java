package dev.rtc.topology;

import java.util.Locale;

/**
 * An http or https URL as the site's proxy and mirrors give it: {@code scheme://[user[:password]@]host[:port][/path]}.
 * The one parser of every URL in a manifest, so that apt, dnf, curl and the runbook never meet a
 * URL rtc has not read whole: a host of DNS labels or an IPv4 address, a port in 1-65535, and
 * percent escapes that are each {@code %} and two hex digits. A {@link SyntaxException} says what
 * is wrong in words; nothing else is thrown for any text.
 */
public record HttpUrl(String scheme, String userInfo, String host, int port, String path) {

  /** What the host's name may be at most, as DNS allows. */
  private static final int MAX_HOST = 253;

  public static HttpUrl parse(String text) {
    String s = text.strip();
    int colon = s.indexOf("://");
    if (colon < 0) {
      throw new SyntaxException("'" + s + "' has no scheme: write http:// or https:// before the host");
    }
    String scheme = s.substring(0, colon);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new SyntaxException("scheme '" + scheme + "' is not http or https (apt, dnf and curl are given this URL)");
    }
    String rest = s.substring(colon + 3);
    int slash = rest.indexOf('/');
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash);
    String userInfo = "";
    int at = authority.lastIndexOf('@');
    if (at >= 0) {
      userInfo = authority.substring(0, at);
      authority = authority.substring(at + 1);
      escapes(userInfo, "the user and password");
    }
    String host = authority;
    int port = -1;
    int portColon = authority.lastIndexOf(':');
    if (portColon >= 0) {
      host = authority.substring(0, portColon);
      port = port(authority.substring(portColon + 1));
    }
    host(host);
    escapes(path, "the path");
    return new HttpUrl(scheme, userInfo, host.toLowerCase(Locale.ROOT), port, path);
  }

  private static int port(String digits) {
    if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new SyntaxException("port '" + digits + "' is not a number from 1 to 65535");
    }
    int p = Integer.parseInt(digits);
    if (p < 1 || p > 65535) {
      throw new SyntaxException("port " + p + " is outside 1-65535");
    }
    return p;
  }

  private static void host(String host) {
    if (host.isEmpty()) {
      throw new SyntaxException("the URL names no host");
    }
    if (host.length() > MAX_HOST) {
      throw new SyntaxException("the host name is " + host.length() + " characters; DNS allows at most " + MAX_HOST);
    }
    String[] labels = host.split("\\.", -1);
    boolean numeric = labels.length == 4;
    for (String label : labels) {
      if (label.isEmpty()) {
        throw new SyntaxException("host '" + host + "' has an empty label (a leading, trailing or doubled dot)");
      }
      if (label.length() > 63) {
        throw new SyntaxException("host '" + host + "' has a label of " + label.length() + " characters; DNS allows at most 63");
      }
      if (label.startsWith("-") || label.endsWith("-")) {
        throw new SyntaxException("host '" + host + "' has a label that starts or ends with '-'");
      }
      for (int i = 0; i < label.length(); i++) {
        char c = label.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
          throw new SyntaxException("host '" + host + "' holds '" + c + "': a host is letters, digits, '-' and dots");
        }
      }
      numeric &= label.chars().allMatch(c -> c >= '0' && c <= '9');
    }
    if (labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9')) {
      // All-digit last label: an IPv4 address (a DNS name never ends in one); each part must be a byte.
      if (!numeric) {
        throw new SyntaxException("host '" + host + "' is neither a name nor an IPv4 address (four numbers 0-255)");
      }
      for (String label : labels) {
        if (label.length() > 3 || Integer.parseInt(label) > 255) {
          throw new SyntaxException("host '" + host + "' is not an IPv4 address: " + label + " is over 255");
        }
      }
    }
  }

  /** Every % begins an escape of two hex digits; a bare % is how a password with % is mistyped. */
  private static void escapes(String part, String where) {
    for (int i = part.indexOf('%'); i >= 0; i = part.indexOf('%', i + 1)) {
      if (i + 2 >= part.length() || hex(part.charAt(i + 1)) < 0 || hex(part.charAt(i + 2)) < 0) {
        String shown = part.substring(i, Math.min(part.length(), i + 3));
        throw new SyntaxException("'" + shown + "' in " + where + " is not a percent escape (% and two hex digits; "
            + "write %25 for a % itself)");
      }
    }
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  /** The URL as given, in the canonical form rtc writes (scheme, user, lower-case host, port, path). */
  @Override
  public String toString() {
    return scheme + "://" + (userInfo.isEmpty() ? "" : userInfo + "@") + host + (port < 0 ? "" : ":" + port) + path;
  }

  /** A URL that does not parse; the message says what is wrong in user terms. */
  public static final class SyntaxException extends IllegalArgumentException {
    public SyntaxException(String message) {
      super(message);
    }
  }
}
