package dev.rtc.emit;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a JSON tree through a streaming generator (JSON, or YAML for cloud-init). The generator
 * does all quoting and escaping; this only walks the tree. It exists for start-up time: the
 * databind serializers an {@code ObjectMapper} builds on first use cost about 100 ms of a
 * cold start, and a tree needs none of them.
 */
public final class TreeWriter {

  private static final JsonFactory JSON = new JsonFactory(); // thread-safe, and dear to build per document
  private static final com.fasterxml.jackson.dataformat.yaml.YAMLFactory YAML = com.fasterxml.jackson.dataformat.yaml.YAMLFactory.builder()
      .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.MINIMIZE_QUOTES)
      .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
      .enable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
      .disable(com.fasterxml.jackson.dataformat.yaml.YAMLGenerator.Feature.SPLIT_LINES) // a long line stays one line, as a reviewer reads it
      .build();

  private TreeWriter() {}

  /** YAML, block style, quotes only where YAML needs them, no document marker: cloud-init's and Prometheus's files. */
  static String yaml(JsonNode tree) {
    TextWriter out = new TextWriter();
    try (JsonGenerator g = YAML.createGenerator(out)) {
      write(tree, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  /** Pretty-printed JSON, two-space indent, {@code \n} line ends, a final newline. */
  public static String json(JsonNode tree) {
    return new String(jsonUtf8(tree), StandardCharsets.UTF_8);
  }

  /** The same, as UTF-8: Jackson's byte generator, its fastest, for a bundle file. */
  static byte[] jsonUtf8(JsonNode tree) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      // Jackson's usual layout, with \n whatever the platform's line separator.
      DefaultPrettyPrinter pretty = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
      g.setPrettyPrinter(pretty);
      write(tree, g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.write('\n');
    return out.toByteArray();
  }

  /** Writes {@code n} to {@code g}, keys in the tree's order. */
  public static void write(JsonNode n, JsonGenerator g) throws IOException {
    switch (n.getNodeType()) {
      case OBJECT -> {
        g.writeStartObject();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          g.writeFieldName(e.getKey());
          write(e.getValue(), g);
        }
        g.writeEndObject();
      }
      case ARRAY -> {
        g.writeStartArray();
        for (JsonNode c : n) {
          write(c, g);
        }
        g.writeEndArray();
      }
      case STRING -> g.writeString(n.textValue());
      case BOOLEAN -> g.writeBoolean(n.booleanValue());
      case NULL, MISSING -> g.writeNull();
      case NUMBER -> {
        if (n.isIntegralNumber()) {
          g.writeNumber(n.bigIntegerValue());
        } else {
          g.writeNumber(n.decimalValue());
        }
      }
      default -> throw new IllegalArgumentException("cannot write a " + n.getNodeType() + " node");
    }
  }
}
