package dev.rtc.emit;

import dev.rtc.Slow;
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
@Slow
class RenderedPicturesTest {

  @TempDir Path tmp;

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1000, 560})
  void reportHtmlRendersWithItsHistogramsAndThresholds(int width) throws Exception {
    String text = Files.readString(Path.of("src/test/resources/cyclictest/histogram-2threads.txt"));
    LatencyReport r = LatencyReport.judge(CyclictestParser.parseText("histogram-2threads.txt", text),
        new LatencyReport.Criteria(100, 300, Optional.of(2), Optional.empty()));
    Path html = Files.writeString(tmp.resolve("report.html"), ReportEmitter.render(r).get("report.html"));
    BufferedImage png = render(html, width == 1000 ? "report.png" : "report-" + width + ".png", width, 1100);
    Set<Integer> colours = colours(png);
    assertThat(colours).as("bars (#0969da) and the GOOD badge (#9a6700)").contains(0x0969da, 0x9a6700);
    if (width >= 1000) {
      // At full size the dashed threshold lines keep their exact colours; scaled down, they are blended into the background.
      assertThat(colours).as("great (#1a7f37) and good (#cf222e) lines").contains(0x1a7f37, 0xcf222e);
    }
  }

  /**
   * The failing case reads too: with samples beyond the histogram, the axis ends at the histogram
   * (the bars fill the width instead of 5% of it), the overflow is a violet bar of its own, both
   * threads share one scale, and the run's host and kernel (not PREEMPT_RT, in red) are said. At a
   * desktop and a narrow width.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(ints = {1000, 560})
  void reportHtmlOfAnOverflowingRunFillsTheWidthAndShowsTheOverflow(int width) throws Exception {
    LatencyReport r = LatencyReport.judge(CyclictestParser.parseJson("overflow-2threads.json",
        Files.readAllBytes(Path.of("src/test/resources/cyclictest/overflow-2threads.json"))),
        new LatencyReport.Criteria(100, 300, Optional.of(2), Optional.empty()));
    String html = ReportEmitter.render(r).get("report.html");
    assertThat(html).contains("Host <b>vm</b>").contains("not PREEMPT_RT").contains("class=\"over\"")
        .contains("great &lt; 100 µs (beyond the histogram) →");
    Path file = Files.writeString(tmp.resolve("report-overflow.html"), html);
    BufferedImage png = render(file, width == 1000 ? "report-overflow.png" : "report-overflow-" + width + ".png", width, 1200);
    assertThat(colours(png)).as("bars, the violet overflow bar, the FAIL badge").contains(0x0969da, 0x8250df, 0xcf222e);
    // The histogram's bars reach past the middle of the picture: the axis is fitted to them.
    int rightmostBar = 0;
    for (int y = 0; y < png.getHeight(); y++) {
      for (int x = 0; x < png.getWidth(); x++) {
        if ((png.getRGB(x, y) & 0xffffff) == 0x0969da) {
          rightmostBar = Math.max(rightmostBar, x);
        }
      }
    }
    assertThat(rightmostBar).as("the rightmost histogram bar").isGreaterThan(Math.min(width, 760) / 2);
  }

  /**
   * plan.html reads without hovering: every square has its CPU or way number written in it, idle
   * SMT siblings are hatched, not left like unused CPUs, and on a hybrid part the E-cores and
   * low-power E-cores carry a band of their own. An SMT Xeon and a hybrid client part, at two widths.
   */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"xeon-smt, 1100", "xeon-smt, 700", "hybrid-client, 1100", "hybrid-client, 700"})
  void planHtmlNumbersItsSquaresHatchesIdleSiblingsAndMarksCoreTypes(String example, int width) throws Exception {
    String html = new Compiler().compile(Path.of("examples/" + example + ".yaml")).bundle().get("plan.html").text();
    assertThat(html).contains("<title>way 0: the host&#39;s default group</title>");
    if (example.equals("xeon-smt")) {
      assertThat(html).contains(">47</text>").contains("<title>CPU 34: idle SMT sibling of a real-time vCPU</title>");
    } else {
      assertThat(html).contains(">21</text>").contains("<title>CPU 3: idle SMT sibling of a real-time vCPU (P-core)</title>")
          .contains("<title>CPU 12: stress vCPUs (E-core)</title>");
    }
    Path file = Files.writeString(tmp.resolve(example + ".html"), html);
    BufferedImage png = render(file, example.equals("hybrid-client") && width == 1100 ? "plan-hybrid.png" : "plan-" + example + "-" + width
        + ".png", width, 700);
    Set<Integer> colours = colours(png);
    assertThat(colours).as("the idle siblings' hatch (#8c959f on #d0d7de)").contains(0x8c959f, 0xd0d7de);
    if (example.equals("hybrid-client")) {
      assertThat(colours).as("E-core band #24292f, low-power E-core band #d4a72c").contains(0x24292f, 0xd4a72c);
    }
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
