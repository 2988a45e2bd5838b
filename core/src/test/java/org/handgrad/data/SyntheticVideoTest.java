package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated video (determinism, masks) and the PNG-folder loader (errors). */
class SyntheticVideoTest {
  private static final SyntheticVideo.Config CONFIG = new SyntheticVideo.Config(6, 32, 2, 9);

  @Test
  void sameSeedSameVideoOtherSeedOtherVideo() {
    SyntheticVideo.Video a = SyntheticVideo.generate(CONFIG);
    SyntheticVideo.Video b = SyntheticVideo.generate(CONFIG);
    SyntheticVideo.Video c = SyntheticVideo.generate(new SyntheticVideo.Config(6, 32, 2, 10));
    assertArrayEquals(new int[] {6, 3, 32, 32}, a.frames().shape());
    assertArrayEquals(new int[] {6, 32, 32}, a.masks().shape());
    assertArrayEquals(a.frames().toFloatArray(), b.frames().toFloatArray());
    assertArrayEquals(a.masks().toFloatArray(), b.masks().toFloatArray());
    assertFalse(java.util.Arrays.equals(a.frames().toFloatArray(), c.frames().toFloatArray()));
    assertTrue(a.frames().min().item() >= 0 && a.frames().max().item() <= 1);
  }

  @Test
  void masksMarkExactlyThePixelsTheObjectsCover() {
    SyntheticVideo.Video v = SyntheticVideo.generate(CONFIG);
    int s = CONFIG.size();
    for (int t = 0; t < CONFIG.frames(); t++) {
      Tensor bg = SyntheticVideo.background(CONFIG, t);
      int fg = 0;
      int differs = 0;
      for (int y = 0; y < s; y++) {
        for (int x = 0; x < s; x++) {
          boolean same = true;
          for (int c = 0; c < 3; c++) {
            same &= v.frames().get(t, c, y, x) == bg.get(c, y, x);
          }
          if (v.masks().get(t, y, x) == 0) {
            assertTrue(same, "background pixel changed at t=" + t + " (" + y + ", " + x + ")");
          } else {
            fg++;
            differs += same ? 0 : 1;
          }
        }
      }
      assertTrue(fg > 0.02 * s * s && fg < 0.8 * s * s, "foreground " + fg + " at t=" + t);
      assertEquals(fg, differs, "every object pixel differs from the background at t=" + t);
    }
    // the objects move: the masks of the first and last frame differ
    assertFalse(
        java.util.Arrays.equals(
            v.masks().select(0, 0).toFloatArray(), v.masks().select(0, 5).toFloatArray()));
  }

  @Test
  void loaderReadsFramesAndRejectsMismatchedSizes(@TempDir Path dir) throws IOException {
    SyntheticVideo.Video v = SyntheticVideo.generate(new SyntheticVideo.Config(3, 16, 1, 1));
    Path frames = Files.createDirectories(dir.resolve("frames"));
    for (int t = 0; t < 3; t++) {
      Png.write(frames.resolve(String.format("%05d.png", t)), v.frames().select(0, t).mul(255));
    }
    Path mask = dir.resolve("mask.png");
    Png.write(mask, v.masks().select(0, 0).mul(255));
    VideoFrames.Loaded l = VideoFrames.load(frames, mask, null);
    assertArrayEquals(new int[] {3, 3, 16, 16}, l.frames().shape());
    assertArrayEquals(v.masks().select(0, 0).toFloatArray(), l.firstMask().toFloatArray());
    assertEquals(null, l.masks());
    assertTrue(l.frames().sub(v.frames()).abs().max().item() <= 0.5 / 255 + 1e-6);

    Path badMask = dir.resolve("bad.png");
    Png.write(badMask, Tensor.zeros(12, 16));
    IOException m = assertThrows(IOException.class, () -> VideoFrames.load(frames, badMask, null));
    assertTrue(m.getMessage().contains("a mask must match its frame"), m.getMessage());

    Png.write(frames.resolve("00009.png"), Tensor.zeros(3, 20, 16));
    IOException f = assertThrows(IOException.class, () -> VideoFrames.load(frames, mask, null));
    assertTrue(f.getMessage().contains("all frames must have one size"), f.getMessage());

    IOException none =
        assertThrows(
            IOException.class,
            () -> VideoFrames.load(Files.createDirectories(dir.resolve("empty")), mask, null));
    assertTrue(none.getMessage().contains("no .png file"), none.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SyntheticVideo.Config(0, 32, 1, 1));
  }
}
