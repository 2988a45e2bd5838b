package org.handgrad.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.handgrad.data.SyntheticVideo;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ssl train --method dino} and {@code segment-video} end to end at tiny sizes. */
class SslDinoCommandTest {
  @TempDir Path tmp;

  private static final String[] TINY = {
    "--dim",
    "8",
    "--depth",
    "1",
    "--heads",
    "2",
    "--out-dim",
    "8",
    "--videos",
    "1",
    "--video-frames",
    "4",
    "--video-size",
    "32",
    "--batch-size",
    "2",
    "--local-crops",
    "1",
    "--print-every",
    "1"
  };

  private CliRun train(Path run, int steps, String... extra) {
    String[] head = {
      "ssl", "train", "--method", "dino", "--out", run.toString(), "--steps", "" + steps
    };
    String[] args = new String[head.length + TINY.length + extra.length];
    System.arraycopy(head, 0, args, 0, head.length);
    System.arraycopy(TINY, 0, args, head.length, TINY.length);
    System.arraycopy(extra, 0, args, head.length + TINY.length, extra.length);
    return CliRun.run(tmp, args);
  }

  @Test
  void trainsResumesAndSegments() throws Exception {
    Path run = tmp.resolve("run");
    CliRun r = train(run, 2);
    assertEquals(0, r.code(), r.all());
    assertTrue(r.out().contains("step 2/2  loss"), r.all());
    assertTrue(Files.exists(run.resolve("dino.safetensors")));
    assertTrue(Files.exists(run.resolve("loss.png")));
    assertTrue(Files.readString(run.resolve("report.html")).contains("<figcaption>loss.png"));
    assertEquals(3, Files.readAllLines(run.resolve("loss.csv")).size());

    CliRun again = train(run, 2);
    assertEquals(1, again.code(), again.all());
    assertTrue(again.err().contains("use --resume"), again.all());

    CliRun resumed = train(run, 3, "--resume", run.toString());
    assertEquals(0, resumed.code(), resumed.all());
    assertTrue(resumed.out().contains("resumed at step 2"), resumed.all());
    assertTrue(resumed.out().contains("step 3/3"), resumed.all());
    assertEquals(4, Files.readAllLines(run.resolve("loss.csv")).size());

    Path seg = tmp.resolve("seg");
    for (String[] b : new String[][] {{}, {"--baseline", "random"}, {"--baseline", "pixels"}}) {
      String[] head = {
        "segment-video",
        "--checkpoint",
        run.toString(),
        "--out",
        seg.toString(),
        "--video-frames",
        "3",
        "--video-size",
        "32"
      };
      String[] args = new String[head.length + b.length];
      System.arraycopy(head, 0, args, 0, head.length);
      System.arraycopy(b, 0, args, head.length, b.length);
      CliRun s = CliRun.run(tmp, args);
      assertEquals(0, s.code(), s.all());
      assertTrue(s.out().contains("frame   2  IoU"), s.all());
      assertTrue(s.out().contains("mean IoU"), s.all());
    }
    assertTrue(Files.exists(seg.resolve("overlays.png")));
    assertTrue(Files.exists(seg.resolve("pca.png")));
    String page = Files.readString(seg.resolve("report.html"));
    assertTrue(page.contains("mean_iou") && page.contains("<figcaption>overlays.png"), page);
  }

  @Test
  void badInputGetsClearErrors() throws Exception {
    CliRun method =
        CliRun.run(tmp, "ssl", "train", "--method", "byol", "--out", tmp.resolve("x").toString());
    assertEquals(2, method.code(), method.all());
    assertTrue(method.err().contains("expected simclr or dino"), method.all());
    CliRun noOut = CliRun.run(tmp, "ssl", "train", "--method", "dino");
    assertEquals(2, noOut.code(), noOut.all());
    assertTrue(noOut.err().contains("--out RUN is required"), noOut.all());

    CliRun none = CliRun.run(tmp, "segment-video", "--out", tmp.toString());
    assertEquals(2, none.code(), none.all());
    assertTrue(none.err().contains("--checkpoint is required"), none.all());

    // a mask that does not match the first frame
    Path frames = Files.createDirectories(tmp.resolve("frames"));
    SyntheticVideo.Video v = SyntheticVideo.generate(new SyntheticVideo.Config(2, 16, 1, 3));
    for (int t = 0; t < 2; t++) {
      Png.write(frames.resolve("f" + t + ".png"), v.frames().select(0, t).mul(255));
    }
    Path mask = tmp.resolve("mask.png");
    Png.write(mask, Tensor.zeros(8, 8));
    CliRun bad =
        CliRun.run(
            tmp,
            "segment-video",
            "--baseline",
            "pixels",
            "--frames",
            frames.toString(),
            "--mask",
            mask.toString(),
            "--out",
            tmp.resolve("o").toString());
    assertEquals(1, bad.code(), bad.all());
    assertTrue(bad.err().contains("a mask must match its frame"), bad.all());

    // frames of different sizes
    Png.write(mask, v.masks().select(0, 0).mul(255));
    Png.write(frames.resolve("f9.png"), Tensor.zeros(3, 20, 16));
    CliRun sizes =
        CliRun.run(
            tmp,
            "segment-video",
            "--baseline",
            "pixels",
            "--frames",
            frames.toString(),
            "--mask",
            mask.toString(),
            "--out",
            tmp.resolve("o").toString());
    assertEquals(1, sizes.code(), sizes.all());
    assertTrue(sizes.err().contains("all frames must have one size"), sizes.all());
  }
}
