package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.handgrad.io.Png;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --model vit} on tiny shapes, then {@code predict --attention}. */
class VitAttentionCommandTest {
  @TempDir Path tmp;

  @Test
  void trainsAViTAndDrawsItsAttentionMaps() throws IOException {
    CliRun r =
        CliRun.run(
            tmp.resolve("home"),
            "train",
            "--model",
            "vit",
            "--set",
            "dim=16",
            "--set",
            "depth=2",
            "--set",
            "heads=2",
            "--data",
            "shapes",
            "--num-train",
            "200",
            "--num-test",
            "40",
            "--epochs",
            "1",
            "--batch-size",
            "50",
            "--run-dir",
            tmp.resolve("runs").toString());
    assertEquals(0, r.code(), r.all());
    Path run;
    try (Stream<Path> s = Files.list(tmp.resolve("runs"))) {
      run = s.findFirst().orElseThrow();
    }
    Path image = tmp.resolve("shirt.png");
    Tensor pixels = Tensor.zeros(DType.FLOAT32, 1, 28, 28);
    for (int i = 8; i < 20; i++) {
      for (int j = 6; j < 22; j++) {
        pixels.set(255, 0, i, j);
      }
    }
    Png.write(image, pixels);
    Path maps = tmp.resolve("maps");
    CliRun p =
        CliRun.run(
            tmp.resolve("home"),
            "predict",
            "--checkpoint",
            run.toString(),
            "--attention",
            maps.toString(),
            image.toString());
    assertEquals(0, p.code(), p.all());
    Path png = maps.resolve("shirt-attention.png");
    assertTrue(p.out().contains("attention: " + png), p.all());
    Tensor drawn = Png.read(png);
    assertTrue(
        drawn.shape(2) > 5 * 28, "one panel per head and the rollout: " + drawn.shapeString());
  }
}
