package dev.rtc.manifest;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.rtc.manifest.diagnostics.Code;
import dev.rtc.manifest.diagnostics.Diagnostics;
import dev.rtc.manifest.diagnostics.ManifestException;
import dev.rtc.manifest.diagnostics.Pointers;
import dev.rtc.manifest.diagnostics.SourceMap;
import java.io.IOException;

/** Builds the tree one token at a time, so every node and key gets its position. */
final class TreeReader {
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
    if (depth > ManifestLoader.MAX_DEPTH) {
      d.errorAt(Code.RTC005, ManifestLoader.at(d.file(), loc), "nested more than " + ManifestLoader.MAX_DEPTH + " levels deep", "a manifest is never this deep");
      throw new ManifestException(d.all());
    }
    refuseYamlExtras(loc);
    JsonToken t = p.currentToken();
    switch (t) {
      case START_OBJECT -> {
        ObjectNode obj = JsonNodeFactory.instance.objectNode();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          JsonLocation keyLoc = p.currentTokenLocation();
          String child = Pointers.child(pointer, key);
          p.nextToken();
          if (obj.has(key)) {
            d.errorAt(Code.RTC004, ManifestLoader.at(d.file(), keyLoc), "key '" + key + "' appears twice in this mapping; YAML does not allow it",
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
        ArrayNode arr = JsonNodeFactory.instance.arrayNode();
        int i = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
          arr.add(read(Pointers.child(pointer, i++), depth + 1));
        }
        return arr;
      }
      case VALUE_STRING -> {
        return JsonNodeFactory.instance.textNode(p.getText());
      }
      case VALUE_NUMBER_INT -> {
        if (!plainInteger(p.getText(), loc)) {
          return JsonNodeFactory.instance.numberNode(0); // reported; the tree is not used past this stage
        }
        return switch (p.getNumberType()) {
          case INT -> JsonNodeFactory.instance.numberNode(p.getIntValue());
          case LONG -> JsonNodeFactory.instance.numberNode(p.getLongValue());
          default -> JsonNodeFactory.instance.numberNode(p.getBigIntegerValue());
        };
      }
      case VALUE_NUMBER_FLOAT -> {
        String text = p.getText();
        if (ManifestLoader.NOT_FINITE.matcher(text).matches()) {
          d.errorAt(Code.RTC008, ManifestLoader.at(d.file(), loc), "'" + text + "' is YAML for " + (text.toLowerCase(java.util.Locale.ROOT)
              .contains("nan") ? "not-a-number" : "infinity") + "; no value in a manifest can be that", "write a finite number");
          return JsonNodeFactory.instance.numberNode(0);
        }
        return JsonNodeFactory.instance.numberNode(p.getDecimalValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return JsonNodeFactory.instance.booleanNode(t == JsonToken.VALUE_TRUE);
      }
      case VALUE_NULL -> {
        return JsonNodeFactory.instance.nullNode();
      }
      default -> throw new IllegalStateException("unexpected YAML token " + t);
    }
  }

  /**
   * Whether an integer is written as a manifest writes one: decimal digits, no leading zero.
   * YAML 1.1, which the parser follows even under {@code %YAML 1.2}, reads {@code 017} as
   * octal (15), and takes {@code 0x1F}, {@code 0b101} and {@code 1_000} too; a leading zero is
   * far more often a typo or a habit than octal, so none of these is guessed at: each is an
   * error that says how the parser read it.
   */
  private boolean plainInteger(String text, JsonLocation loc) throws IOException {
    if (ManifestLoader.PLAIN_INTEGER.matcher(text).matches()) {
      return true;
    }
    String digits = text.replaceFirst("^[-+]", "");
    String meant = digits.replace("_", "").replaceFirst("^0+(?=\\d)", "");
    String why;
    if (digits.startsWith("0x") || digits.startsWith("0X")) {
      why = "is hexadecimal";
      meant = null;
    } else if (digits.startsWith("0b") || digits.startsWith("0B")) {
      why = "is binary";
      meant = null;
    } else if (digits.startsWith("0") && !digits.contains("_")) {
      why = "has a leading 0, which YAML 1.1 reads as octal (" + p.getBigIntegerValue() + ")";
    } else {
      why = "has digit groups ('_')";
    }
    String sign = text.startsWith("-") ? "-" : "";
    String hint;
    if (meant == null) {
      hint = "write " + p.getBigIntegerValue();
    } else if (why.contains("octal") && !(sign + meant).equals(p.getBigIntegerValue().toString())) {
      hint = "write " + sign + meant + " (or " + p.getBigIntegerValue() + ", if octal was meant)";
    } else {
      hint = "write " + sign + meant;
    }
    d.errorAt(Code.RTC008, ManifestLoader.at(d.file(), loc), "'" + text + "' " + why + "; rtc reads integers in plain decimal only", hint);
    return false;
  }

  private void refuseYamlExtras(JsonLocation loc) throws IOException {
    if (p.isCurrentAlias()) {
      d.errorAt(Code.RTC003, ManifestLoader.at(d.file(), loc), "YAML alias '*" + p.getText() + "'; rtc does not expand aliases",
          "write the value out in full");
      throw new ManifestException(d.all());
    }
    if (p.getObjectId() != null) {
      d.errorAt(Code.RTC003, ManifestLoader.at(d.file(), loc), "YAML anchor '&" + p.getObjectId() + "'; rtc does not use anchors",
          "remove the anchor and write each value out");
      throw new ManifestException(d.all());
    }
    if (p.getTypeId() != null) {
      d.errorAt(Code.RTC003, ManifestLoader.at(d.file(), loc), "YAML tag '" + p.getTypeId() + "'; rtc does not use tags",
          "remove the tag; quote the value if it must stay a string");
      throw new ManifestException(d.all());
    }
  }
}
