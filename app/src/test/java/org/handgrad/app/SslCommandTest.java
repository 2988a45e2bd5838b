package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.handgrad.app.report.MetricsLog;
import org.handgrad.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SslCommandTest {
  @TempDir Path tmp;

  private static final String[] TINY = {
    "--data",
    "shapes",
    "--num-train",
    "48",
    "--num-test",
    "24",
    "--batch-size",
    "16",
    "--widths",
    "4,8",
    "--projection-dim",
    "8",
    "--knn-bank",
    "48",
    "--knn-queries",
    "24",
    "--log-every",
    "1"
  };

  /** A tiny run: TINY, then the extra options; one epoch unless they say otherwise. */
  private CliRun train(String... extra) {
    if (!Arrays.asList(extra).contains("--epochs")) {
      String[] withEpochs = Arrays.copyOf(extra, extra.length + 2);
      withEpochs[extra.length] = "--epochs";
      withEpochs[extra.length + 1] = "1";
      extra = withEpochs;
    }
    String[] args = new String[3 + TINY.length + extra.length];
    args[0] = "ssl";
    args[1] = "train";
    args[2] = "--runs=" + tmp.resolve("runs");
    System.arraycopy(TINY, 0, args, 3, TINY.length);
    System.arraycopy(extra, 0, args, 3 + TINY.length, extra.length);
    return CliRun.run(tmp, args);
  }

  private Path onlyRun() throws Exception {
    try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
      List<Path> runs = s.toList();
      assertEquals(1, runs.size(), runs.toString());
      return runs.get(0);
    }
  }

  @Test
  void trainOneTinyEpochThenProbeAndBaselines() throws Exception {
    CliRun r = train();
    assertEquals(0, r.code(), r.all());
    Path run = onlyRun();
    List<Map<String, Object>> lines = MetricsLog.read(run.resolve("metrics.jsonl"));
    assertEquals(3, lines.stream().filter(m -> "step".equals(m.get("event"))).count());
    Map<String, Object> epoch =
        lines.stream().filter(m -> "epoch".equals(m.get("event"))).findFirst().orElseThrow();
    double knn = ((Number) epoch.get("knn_acc")).doubleValue();
    assertTrue(knn >= 0 && knn <= 1, r.all());
    byte[] png = Files.readAllBytes(run.resolve("knn.png"));
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, Arrays.copyOf(png, 4));
    assertTrue(Files.isRegularFile(run.resolve("checkpoint/model.safetensors")));
    assertTrue(Files.isRegularFile(run.resolve("report.html")));
    assertTrue(Files.isRegularFile(run.resolve("config.json")));

    CliRun p =
        CliRun.run(tmp, "ssl", "probe", "--checkpoint", run.toString(), "--probe-epochs", "2");
    assertEquals(0, p.code(), p.all());
    assertTrue(p.out().contains("linear probe on simclr features"), p.all());
    Map<?, ?> probe = (Map<?, ?>) Json.parse(Files.readString(run.resolve("probe.json")));
    double acc = ((Number) probe.get("test_acc")).doubleValue();
    assertTrue(acc >= 0 && acc <= 1);
    for (String b : new String[] {"random", "pixels"}) {
      CliRun q =
          CliRun.run(
              tmp,
              "ssl",
              "probe",
              "--checkpoint",
              run.toString(),
              "--baseline",
              b,
              "--probe-epochs",
              "2");
      assertEquals(0, q.code(), q.all());
      assertTrue(Files.isRegularFile(run.resolve("probe-" + b + ".json")), q.all());
    }

    // Resuming a finished run trains no further step and finishes again.
    CliRun again = CliRun.run(tmp, "ssl", "train", "--resume", run.toString());
    assertEquals(0, again.code(), again.all());
    assertTrue(again.err().contains("at epoch 1, step 0"), again.all());
  }

  @Test
  void cosineScheduleWarmsUpThenDecaysToZero() throws Exception {
    // 48 images in batches of 16: 3 steps an epoch; 1 warm-up epoch, then a 3-step half cosine.
    CliRun r =
        train("--epochs", "2", "--schedule", "cosine", "--warmup-epochs", "1", "--lr", "1e-3");
    assertEquals(0, r.code(), r.all());
    double[] lr =
        MetricsLog.read(onlyRun().resolve("metrics.jsonl")).stream()
            .filter(m -> "step".equals(m.get("event")))
            .mapToDouble(m -> ((Number) m.get("lr")).doubleValue())
            .toArray();
    double[] expected = {
      1e-5,
      1e-3 * (0.01 + 0.99 / 3),
      1e-3 * (0.01 + 0.99 * 2 / 3),
      1e-3,
      1e-3 * (1 + Math.cos(Math.PI / 3)) / 2,
      1e-3 * (1 + Math.cos(2 * Math.PI / 3)) / 2
    };
    assertArrayEquals(expected, lr, 1e-15);
    Map<?, ?> config = (Map<?, ?>) Json.parse(Files.readString(onlyRun().resolve("config.json")));
    assertEquals("cosine", config.get("schedule"));
  }

  @Test
  void benchPrintsAThroughput() {
    CliRun r = train("--bench", "2");
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("img/s"), r.all());
  }

  @Test
  void badInputGetsAClearError() {
    CliRun r = train("--temperature", "0");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("--temperature must be positive, got 0.0"), r.all());
    r = train("--schedule", "linear");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("--schedule must be constant or cosine, got 'linear'"), r.all());
    r = train("--schedule", "cosine", "--warmup-epochs", "1");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("--warmup-epochs must be in [0, --epochs), got 1"), r.all());
    r = train("--method", "moco");
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("unknown --method 'moco'"), r.all());
    r = train("--out", tmp.resolve("x").toString());
    assertEquals(2, r.code(), r.all());
    assertTrue(r.err().contains("--out is for dino"), r.all());
    r =
        CliRun.run(
            tmp, "ssl", "train", "--data", "shapes", "--num-train", "8", "--batch-size", "1");
    assertEquals(1, r.code(), r.all());
    assertTrue(r.err().contains("--batch-size must be >= 2"), r.all());
    CliRun p =
        CliRun.run(tmp, "ssl", "probe", "--checkpoint", tmp.toString(), "--baseline", "noise");
    assertEquals(2, p.code(), p.all());
    assertTrue(p.err().contains("unknown --baseline 'noise'"), p.all());
    p = CliRun.run(tmp, "ssl", "probe", "--checkpoint", tmp.resolve("nothing").toString());
    assertEquals(1, p.code(), p.all());
  }
}
