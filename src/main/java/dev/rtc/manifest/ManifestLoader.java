package dev.rtc.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.yaml.snakeyaml.LoaderOptions;

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

  /** Reads {@code path}; a missing, unreadable or oversized file is a located error. */
  public static Source read(Path path) {
    String name = path.toString();
    Diagnostics d = new Diagnostics(name, new SourceMap());
    try {
      if (Files.isDirectory(path)) {
        d.errorAt(Code.RTC001, SourceLocation.file(name), "is a directory, not a manifest file",
            "give the path of a .yaml manifest");
      } else if (Files.size(path) > MAX_BYTES) {
        d.errorAt(Code.RTC005, SourceLocation.file(name), "file is " + Files.size(path) + " bytes; rtc reads manifests of at most "
            + MAX_BYTES + " bytes", "a manifest describes one host and is a few KiB; is this the right file?");
      } else {
        return new Source(name, Files.readAllBytes(path));
      }
    } catch (NoSuchFileException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(name), "no such file", "check the path");
    } catch (IOException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(name), "cannot read: " + e.getMessage(), "check the path and its permissions");
    }
    throw new ManifestException(d.all());
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
          "start from examples/eci-reference.yaml");
      d.orThrow();
    }
    try (JsonParser p = factory().createParser(text)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        d.errorAt(Code.RTC006, new SourceLocation(source.displayName(), 1, 1), "the manifest is empty",
            "start from examples/eci-reference.yaml");
        d.orThrow();
      }
      JsonNode tree = new TreeReader((YAMLParser) p, map, d).read("", 0);
      d.orThrow();
      JsonToken after = p.nextToken();
      if (after != null) {
        d.errorAt(Code.RTC003, at(source.displayName(), p.currentTokenLocation()),
            "a second YAML document; a manifest is one document", "remove the '---' and what follows, or split it into two files");
      }
      d.orThrow();
      return new Loaded(source, tree, map);
    } catch (JsonProcessingException e) {
      d.errorAt(Code.RTC002, at(source.displayName(), e.getLocation()), yamlMessage(e), yamlHint(e));
      throw new ManifestException(d.all());
    } catch (IOException e) {
      d.errorAt(Code.RTC001, SourceLocation.file(source.displayName()), "cannot parse: " + e.getMessage(), "");
      throw new ManifestException(d.all());
    }
  }

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

  private static String decode(Source source, Diagnostics d) {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(source.bytes())).toString();
    } catch (CharacterCodingException e) {
      int offset = firstBadUtf8(source.bytes());
      int line = 1;
      int col = 1;
      for (int i = 0; i < offset; i++) {
        if (source.bytes()[i] == '\n') {
          line++;
          col = 1;
        } else if ((source.bytes()[i] & 0xC0) != 0x80) {
          col++;
        }
      }
      d.errorAt(Code.RTC007, new SourceLocation(source.displayName(), line, col),
          "byte 0x" + String.format("%02x", source.bytes()[offset] & 0xff) + " at offset " + offset + " is not UTF-8",
          "save the file as UTF-8");
      return null;
    }
  }

  private static int firstBadUtf8(byte[] b) {
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
    for (int len = 1; len <= b.length; len++) {
      try {
        decoder.reset().decode(ByteBuffer.wrap(b, 0, len));
      } catch (CharacterCodingException e) {
        // A truncated but valid prefix of a multi-byte sequence also fails; step back to its start.
        int i = len - 1;
        while (i > 0 && (b[i] & 0xC0) == 0x80 && len - i < 4) {
          i--;
        }
        if (isCompleteBad(b, i)) {
          return i;
        }
      }
    }
    return Math.max(0, b.length - 1);
  }

  private static boolean isCompleteBad(byte[] b, int start) {
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
    try {
      decoder.decode(ByteBuffer.wrap(b, start, Math.min(4, b.length - start)));
      return false;
    } catch (CharacterCodingException e) {
      int expected = (b[start] & 0x80) == 0 ? 1 : (b[start] & 0xE0) == 0xC0 ? 2 : (b[start] & 0xF0) == 0xE0 ? 3 : (b[start] & 0xF8) == 0xF0 ? 4 : 0;
      return expected == 0 || start + expected <= b.length;
    }
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

  private static String yamlMessage(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    // snakeyaml's messages carry their own position block after a newline; the location says it.
    int nl = m.indexOf('\n');
    String first = (nl > 0 ? m.substring(0, nl) : m).strip();
    if (first.contains("found character '\\t'") || m.contains("found character '\\t'")) {
      return "a tab character; YAML indents with spaces only";
    }
    return "YAML syntax: " + first;
  }

  private static String yamlHint(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    if (m.contains("\\t")) {
      return "replace the tab with spaces";
    }
    if (m.contains("mapping values are not allowed")) {
      return "a value containing ': ' must be quoted";
    }
    return "check indentation and quoting on this line and the one before";
  }

  /** Builds the tree one token at a time, so every node and key gets its position. */
  private static final class TreeReader {
    private final YAMLParser p;
    private final SourceMap map;
    private final Diagnostics d;

    TreeReader(YAMLParser p, SourceMap map, Diagnostics d) {
      this.p = p;
      this.map = map;
      this.d = d;
    }

    JsonNode read(String pointer, int depth) throws IOException {
      JsonLocation loc = p.currentTokenLocation();
      map.value(pointer, loc.getLineNr(), Math.max(1, loc.getColumnNr()));
      if (depth > MAX_DEPTH) {
        d.errorAt(Code.RTC005, at(d.file(), loc), "nested more than " + MAX_DEPTH + " levels deep", "a manifest is never this deep");
        throw new ManifestException(d.all());
      }
      refuseYamlExtras(loc);
      JsonToken t = p.currentToken();
      switch (t) {
        case START_OBJECT -> {
          ObjectNode obj = NODES.objectNode();
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation keyLoc = p.currentTokenLocation();
            String child = Pointers.child(pointer, key);
            p.nextToken();
            if (obj.has(key)) {
              d.errorAt(Code.RTC004, at(d.file(), keyLoc), "key '" + key + "' appears twice in this mapping; YAML does not allow it",
                  "keep one of them (the first is at line " + map.locateKey(d.file(), child).line() + ")");
              read(child + "~dup", depth + 1);
              continue;
            }
            map.key(child, keyLoc.getLineNr(), Math.max(1, keyLoc.getColumnNr()));
            obj.set(key, read(child, depth + 1));
          }
          return obj;
        }
        case START_ARRAY -> {
          ArrayNode arr = NODES.arrayNode();
          int i = 0;
          while (p.nextToken() != JsonToken.END_ARRAY) {
            arr.add(read(Pointers.child(pointer, i++), depth + 1));
          }
          return arr;
        }
        case VALUE_STRING -> {
          return NODES.textNode(p.getText());
        }
        case VALUE_NUMBER_INT -> {
          return switch (p.getNumberType()) {
            case INT -> NODES.numberNode(p.getIntValue());
            case LONG -> NODES.numberNode(p.getLongValue());
            default -> NODES.numberNode(p.getBigIntegerValue());
          };
        }
        case VALUE_NUMBER_FLOAT -> {
          return NODES.numberNode(p.getDecimalValue());
        }
        case VALUE_TRUE, VALUE_FALSE -> {
          return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
        }
        case VALUE_NULL -> {
          return NODES.nullNode();
        }
        default -> throw new IllegalStateException("unexpected YAML token " + t);
      }
    }

    private void refuseYamlExtras(JsonLocation loc) throws IOException {
      if (p.isCurrentAlias()) {
        d.errorAt(Code.RTC003, at(d.file(), loc), "YAML alias '*" + p.getText() + "'; rtc does not expand aliases",
            "write the value out in full");
        throw new ManifestException(d.all());
      }
      if (p.getObjectId() != null) {
        d.errorAt(Code.RTC003, at(d.file(), loc), "YAML anchor '&" + p.getObjectId() + "'; rtc does not use anchors",
            "remove the anchor and write each value out");
        throw new ManifestException(d.all());
      }
      if (p.getTypeId() != null) {
        d.errorAt(Code.RTC003, at(d.file(), loc), "YAML tag '" + p.getTypeId() + "'; rtc does not use tags",
            "remove the tag; quote the value if it must stay a string");
        throw new ManifestException(d.all());
      }
    }
  }
}
