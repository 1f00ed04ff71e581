package dev.rtc.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.rtc.io.InputFiles;
import dev.rtc.io.IoErrors;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.diagnostics.SourceLocation;
import dev.rtc.manifest.diagnostics.SourceMap;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a manifest file into a Jackson tree and a {@link SourceMap}. This is the only place rtc
 * reads a manifest from disk.
 *
 * <p>Refuses, with a located error, what a deployment manifest never needs and an attacker or a
 * typo might use: anchors and aliases (no alias bombs, no action at a distance), explicit tags,
 * several documents, duplicate keys (YAML says they are an error; many loaders keep the last one
 * silently), and files or nesting larger than any real manifest.
 */
public final class ManifestLoader {

  /** A real manifest is a few KiB; a 64-host fleet file would still be far below this. */
  public static final int MAX_BYTES = 1 << 20;
  public static final int MAX_DEPTH = 32;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ManifestLoader() {}

  /** The text of a manifest and where it came from. */
  public record Source(String displayName, byte[] bytes) {
    public String sha256() {
      try {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every JVM has SHA-256", e);
      }
    }
  }

  /** A parsed manifest tree, its positions, and its source. */
  public record Loaded(Source source, JsonNode tree, SourceMap sourceMap) {}

  /**
   * Reads {@code path}; a missing, unreadable, special (a device, a FIFO) or oversized file is a
   * located error. Never more than {@link #MAX_BYTES} + 1 bytes are read, whatever size the file
   * reports, and a FIFO is refused before it is opened.
   */
  public static Source read(Path path) {
    String name = path.toString();
    Diagnostics d = new Diagnostics(name, new SourceMap());
    try {
      if (Files.isDirectory(path)) {
        d.errorAt(Code.RTC001, SourceLocation.file(name), "is a directory, not a manifest file",
            "give the path of a .yaml manifest");
      } else {
        return new Source(name, InputFiles.read(path, MAX_BYTES));
      }
    } catch (NoSuchFileException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(name), "no such file", "check the path");
    } catch (InputFiles.RefusedException e) {
      boolean tooLarge = e.reason() == InputFiles.RefusedException.Reason.TOO_LARGE;
      d.errorAt(tooLarge ? Code.RTC005 : Code.RTC001, SourceLocation.file(name), e.getMessage(), tooLarge
          ? "a manifest describes one host and is a few KiB; is this the right file?" : "give the path of a .yaml manifest");
    } catch (IOException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(name), "cannot read: " + IoErrors.describe(e), "check the path and its permissions");
    }
    throw new ManifestException(d.all());
  }

  /** The manifest's text, strictly decoded; a located error when it is not UTF-8 text. */
  public static String decodeOrThrow(Source source) {
    Diagnostics d = new Diagnostics(source.displayName(), new SourceMap());
    String text = decode(source, d);
    d.orThrow();
    return text;
  }

  public static Loaded parse(Source source) {
    SourceMap map = new SourceMap();
    Diagnostics d = new Diagnostics(source.displayName(), map);
    String text = decode(source, d);
    if (text == null) {
      d.orThrow();
    }
    if (text.strip().isEmpty() || onlyComments(text)) {
      d.errorAt(Code.RTC006, new SourceLocation(source.displayName(), 1, 1), "the manifest is empty",
          "rtc init writes one for a host; man rtc-manifest lists every key");
      d.orThrow();
    }
    try (JsonParser p = FACTORY.createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        d.errorAt(Code.RTC006, new SourceLocation(source.displayName(), 1, 1), "the manifest is empty",
            "rtc init writes one for a host; man rtc-manifest lists every key");
        d.orThrow();
      }
      JsonNode tree;
      try {
        tree = new TreeReader((YAMLParser) p, map, d).read("", 0);
      } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
        // Only a number can break a constraint here (strings and nesting are bounded above
        // everything a manifest may hold, and checked by the loader options first).
        d.errorAt(Code.RTC008, clampToContent(at(source.displayName(), p.currentTokenLocation()), text),
            "a number with more than 64 digits; no number in a manifest needs more than 10",
            "check this value: a paste that went wrong?");
        throw new ManifestException(d.all());
      }
      d.orThrow();
      if (tree == null || tree.isNull() || tree.isMissingNode() || (tree.isTextual() && tree.asText().isEmpty())) {
        d.errorAt(Code.RTC006, new SourceLocation(source.displayName(), 1, 1), "the manifest is empty (a document with no content)",
            "rtc init writes one for a host; man rtc-manifest lists every key");
        d.orThrow();
      }
      JsonToken after = p.nextToken();
      if (after != null) {
        d.errorAt(Code.RTC003, at(source.displayName(), p.currentTokenLocation()),
            "a second YAML document; a manifest is one document", "remove the '---' and what follows, or split it into two files");
      }
      d.orThrow();
      return new Loaded(source, tree, map);
    } catch (JsonProcessingException e) {
      d.errorAt(Code.RTC002, clampToContent(syntaxLocation(source.displayName(), e), text), yamlMessage(e), yamlHint(e));
      throw new ManifestException(d.all());
    } catch (IOException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(source.displayName()), "cannot parse: " + e.getMessage(), "");
      throw new ManifestException(d.all());
    }
  }

  static final java.util.regex.Pattern PLAIN_INTEGER = java.util.regex.Pattern.compile("[-+]?(0|[1-9][0-9]*)");
  static final java.util.regex.Pattern NOT_FINITE = java.util.regex.Pattern.compile("[-+]?\\.(inf|Inf|INF|nan|NaN|NAN)");

  /** Built once: a configured factory is thread-safe, and building one costs more than a small manifest's parse. */
  private static final YAMLFactory FACTORY = factory();

  private static YAMLFactory factory() {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(true); // we detect duplicates ourselves, with both positions
    options.setMaxAliasesForCollections(1); // aliases are refused below; this bounds the parser too
    options.setNestingDepthLimit(MAX_DEPTH * 2);
    options.setCodePointLimit(MAX_BYTES);
    YAMLFactory f = YAMLFactory.builder().loaderOptions(options).build();
    f.setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH * 2)
        .maxStringLength(MAX_BYTES).maxNumberLength(64).build());
    return f;
  }

  /**
   * Strict UTF-8, in one linear pass (a 1 MiB file of garbage costs one decode). NUL bytes are
   * valid UTF-8 but mean a binary file, so they are refused here too, with their position.
   */
  private static String decode(Source source, Diagnostics d) {
    byte[] b = source.bytes();
    for (int i = 0; i < b.length; i++) {
      if (b[i] == 0) {
        d.errorAt(Code.RTC007, position(source, i), "a NUL byte at offset " + i + ": this is a binary file, not a YAML manifest",
            "give the manifest's .yaml file");
        return null;
      }
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(b);
    CharBuffer out = CharBuffer.allocate(b.length);
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      int offset = in.position();
      d.errorAt(Code.RTC007, position(source, offset), "byte 0x" + String.format("%02x", b[offset] & 0xff) + " at offset "
          + offset + " is not UTF-8", "save the file as UTF-8 (it looks like " + (looksLatin1(b, offset) ? "Latin-1" : "binary data") + ")");
      return null;
    }
    return out.flip().toString();
  }

  private static boolean looksLatin1(byte[] b, int offset) {
    return (b[offset] & 0xff) >= 0xa0;
  }

  /** Line and column (in characters) of a byte offset. */
  private static SourceLocation position(Source source, int offset) {
    byte[] b = source.bytes();
    int line = 1;
    int col = 1;
    for (int i = 0; i < offset; i++) {
      if (b[i] == '\n') {
        line++;
        col = 1;
      } else if ((b[i] & 0xC0) != 0x80) {
        col++;
      }
    }
    return new SourceLocation(source.displayName(), line, col);
  }


  private static boolean onlyComments(String text) {
    return text.lines().map(String::strip).allMatch(l -> l.isEmpty() || l.startsWith("#") || l.equals("---") || l.equals("..."));
  }

  static SourceLocation at(String file, JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 1) {
      return SourceLocation.file(file);
    }
    return new SourceLocation(file, loc.getLineNr(), Math.max(1, loc.getColumnNr()));
  }

  /** snakeyaml knows where the problem is and what it was parsing; Jackson's own location is vaguer. */
  private static MarkedYAMLException marked(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof MarkedYAMLException m) {
        return m;
      }
    }
    return null;
  }

  private static SourceLocation syntaxLocation(String file, JsonProcessingException e) {
    MarkedYAMLException m = marked(e);
    if (m != null && m.getProblemMark() != null) {
      // At the end of the file the problem is the construct left open: point at where it starts.
      String problem = String.valueOf(m.getProblem());
      boolean atEnd = problem.contains("end of stream") || problem.contains("<stream end>");
      var mark = atEnd && m.getContextMark() != null ? m.getContextMark() : m.getProblemMark();
      return new SourceLocation(file, mark.getLine() + 1, mark.getColumn() + 1);
    }
    return at(file, e.getLocation());
  }

  /**
   * A parser that runs off the end reports a line after the last one; an editor cannot jump
   * there. The last line with content is where the unclosed bracket or quote lives, or near it.
   */
  private static SourceLocation clampToContent(SourceLocation at, String text) {
    String[] lines = text.split("\n", -1);
    int last = lines.length;
    while (last > 1 && (lines[last - 1].isBlank() || lines[last - 1].strip().startsWith("#"))) {
      last--;
    }
    return at.line() > last ? new SourceLocation(at.file(), last, 1) : at;
  }

  private static String yamlMessage(JsonProcessingException e) {
    MarkedYAMLException m = marked(e);
    String problem = m != null && m.getProblem() != null ? m.getProblem() : firstLine(e.getOriginalMessage());
    if (problem.contains("'\\t'") || problem.contains("\t")) {
      return "a tab character; YAML indents with spaces only";
    }
    StringBuilder sb = new StringBuilder("YAML syntax: ").append(problem.strip());
    if (m != null && m.getContext() != null && m.getContextMark() != null) {
      sb.append(" (").append(m.getContext().strip()).append(" that starts at line ").append(m.getContextMark().getLine() + 1).append(')');
    }
    return sb.toString();
  }

  private static String firstLine(String m) {
    int nl = m.indexOf('\n');
    return nl > 0 ? m.substring(0, nl) : m;
  }

  private static String yamlHint(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m.contains("\\t") || m.contains("\t")) {
      return "replace the tab with spaces";
    }
    if (m.contains("mapping values are not allowed")) {
      return "a value containing ': ' must be quoted";
    }
    if (m.contains("quoted scalar") || m.contains("found '<scalar>'") || m.contains("expected <block end>")) {
      return "check indentation here, and whether a quote opened on an earlier line was closed";
    }
    return "check indentation and quoting on this line and the one before";
  }

}
