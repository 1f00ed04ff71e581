package dev.rtc.emit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rtc.Compiler;
import dev.rtc.report.CyclictestParser;
import dev.rtc.report.LatencyReport;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report and the plan are looked at, not only read: headless Chromium renders report.html
 * and plan.html to PNG, and the pictures must have the window's size, not be blank, and show
 * the colours the SVGs draw (histogram bars, threshold lines; host and VM cells).
 * docs/report.png and docs/plan.png were made the same way ({@code -Ddocs.screenshots=true}).
 */
class RenderedPicturesTest {

  @TempDir Path tmp;

  @Test
  void reportHtmlRendersWithItsHistogramsAndThresholds() throws Exception {
    String text = Files.readString(Path.of("src/test/resources/cyclictest/histogram-2threads.txt"));
    LatencyReport r = LatencyReport.judge(CyclictestParser.parseText("histogram-2threads.txt", text),
        new LatencyReport.Criteria(100, 300, Optional.of(2), Optional.empty()));
    Path html = Files.writeString(tmp.resolve("report.html"), ReportEmitter.render(r).get("report.html"));
    BufferedImage png = render(html, "report.png", 1000, 1100);
    Set<Integer> colours = colours(png);
    assertThat(colours).as("bars (#0969da), great (#1a7f37) and good (#cf222e) lines, the GOOD badge (#9a6700)")
        .contains(0x0969da, 0x1a7f37, 0xcf222e, 0x9a6700);
  }

  @Test
  void planHtmlRendersItsCpuAndWayMaps() throws Exception {
    Bundle b = new Compiler().compile(Path.of("examples/eci-reference.yaml")).bundle();
    Path html = Files.writeString(tmp.resolve("plan.html"), b.get("plan.html").text());
    BufferedImage png = render(html, "plan.png", 1100, 700);
    assertThat(colours(png)).as("host grey, real-time VM blue and its emulator light blue, stressor red")
        .contains(0x8c959f, 0x0969da, 0x9cc7f5, 0xcf222e);
  }

  private BufferedImage render(Path html, String name, int width, int height) throws IOException {
    Path out = Boolean.getBoolean("docs.screenshots") ? Path.of("docs").toAbsolutePath().resolve(name) : tmp.resolve(name);
    Tool.Run r = Tool.require("chromium").run(tmp, Map.of("HOME", tmp.toString()), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--user-data-dir=" + tmp.resolve("profile-" + name), "--screenshot=" + out,
        "--window-size=" + width + "," + height, html.toUri().toString());
    assertThat(r.exit()).as(r.all()).isZero();
    BufferedImage img = ImageIO.read(out.toFile());
    assertThat(img).as("%s is a PNG", out).isNotNull();
    assertThat(img.getWidth()).isEqualTo(width);
    assertThat(img.getHeight()).isEqualTo(height);
    long nonWhite = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
          nonWhite++;
        }
      }
    }
    assertThat(nonWhite).as("%s is not blank", name).isGreaterThan(width * height / 4 / 50);
    return img;
  }

  private static Set<Integer> colours(BufferedImage img) {
    Set<Integer> out = new HashSet<>();
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        out.add(img.getRGB(x, y) & 0xffffff);
      }
    }
    return out;
  }
}
