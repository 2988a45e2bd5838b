package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.handgrad.tensor.DType;
import org.junit.jupiter.api.Test;

class SyntheticShapesTest {
  @Test
  void deterministicFromSeed() {
    SyntheticShapes.Config c = new SyntheticShapes.Config(300, 100, 3, 32, 42);
    Dataset a = SyntheticShapes.generate(c);
    Dataset b = SyntheticShapes.generate(c);
    assertArrayEquals(a.train().x().toFloatArray(), b.train().x().toFloatArray());
    assertArrayEquals(a.train().y(), b.train().y());
    assertArrayEquals(a.test().x().toFloatArray(), b.test().x().toFloatArray());
    Dataset other = SyntheticShapes.generate(new SyntheticShapes.Config(300, 100, 3, 32, 43));
    assertFalse(Arrays.equals(a.train().x().toFloatArray(), other.train().x().toFloatArray()));
    // Train and test come from different streams.
    assertFalse(
        Arrays.equals(a.train().range(0, 100).x().toFloatArray(), a.test().x().toFloatArray()));
  }

  @Test
  void balancedClassesShapesAndRange() {
    Dataset d = SyntheticShapes.generate(new SyntheticShapes.Config(1000, 205, 3, 32, 1));
    assertEquals(DType.FLOAT32, d.train().x().dtype());
    assertArrayEquals(new int[] {1000, 3, 32, 32}, d.train().x().shape());
    assertEquals(SyntheticShapes.CLASSES, d.classNames());
    int[] hundred = new int[10];
    Arrays.fill(hundred, 100);
    assertArrayEquals(hundred, d.train().classCounts());
    // 205 = 20 * 10 + 5: the first five classes get one more.
    assertArrayEquals(new int[] {21, 21, 21, 21, 21, 20, 20, 20, 20, 20}, d.test().classCounts());
    float min = 1;
    float max = 0;
    for (float v : d.train().x().floatStorage()) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assertTrue(min >= 0 && max <= 1, min + " .. " + max);
    assertTrue(max - min > 0.9, "uses the value range");
  }

  @Test
  void greyMnistSized() {
    Split s = SyntheticShapes.generateSplit(50, 1, 28, 7, 0);
    assertArrayEquals(new int[] {50, 1, 28, 28}, s.x().shape());
  }

  @Test
  void greyShapesAreLaidOutLikeMnist() {
    // Grey shapes stand in for the MNIST family: light on dark, centred, so that pixel templates
    // work. Nearest class-mean image (a linear classifier with no training) reaches 52% here
    // (chance 10%); the README's softmax reaches about 90% (docs/conventions.md, data).
    Split train = SyntheticShapes.generateSplit(2000, 1, 28, 3, 0);
    Split test = SyntheticShapes.generateSplit(500, 1, 28, 3, 1);
    int p = 28 * 28;
    double[][] mean = new double[10][p];
    int[] count = train.classCounts();
    float[] x = train.x().floatStorage();
    for (int i = 0; i < train.size(); i++) {
      for (int j = 0; j < p; j++) {
        mean[train.y()[i]][j] += x[i * p + j] / count[train.y()[i]];
      }
    }
    float[] t = test.x().floatStorage();
    int correct = 0;
    double border = 0;
    for (int i = 0; i < test.size(); i++) {
      int best = 0;
      double bestD = Double.MAX_VALUE;
      for (int k = 0; k < 10; k++) {
        double d = 0;
        for (int j = 0; j < p; j++) {
          d += (t[i * p + j] - mean[k][j]) * (t[i * p + j] - mean[k][j]);
        }
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      correct += best == test.y()[i] ? 1 : 0;
      border += t[i * p] + t[i * p + 27] + t[i * p + 27 * 28] + t[i * p + p - 1];
    }
    double acc = correct / (double) test.size();
    assertTrue(acc > 0.4, "nearest class mean accuracy " + acc + " (chance 0.1)");
    assertTrue(border / 4 < 0.2 * test.size(), "dark corners: mean " + border / 4 / test.size());
  }

  @Test
  void everyShapeIsDrawn() {
    // Each class covers a sensible part of its unit frame, and the classes differ pairwise.
    boolean[][] masks = new boolean[10][];
    for (int k = 0; k < 10; k++) {
      boolean[] m = new boolean[64 * 64];
      int inside = 0;
      for (int i = 0; i < 64; i++) {
        for (int j = 0; j < 64; j++) {
          m[i * 64 + j] = SyntheticShapes.inside(k, (j - 31.5) / 30, (i - 31.5) / 30);
          inside += m[i * 64 + j] ? 1 : 0;
        }
      }
      double area = inside / (64.0 * 64.0) * 4.4 * 4.4 / 4; // fraction of the [-1.07, 1.07]^2 box
      assertTrue(inside > 300 && inside < 3300, SyntheticShapes.CLASSES.get(k) + ": " + inside);
      assertTrue(area > 0, "area");
      masks[k] = m;
    }
    for (int a = 0; a < 10; a++) {
      for (int b = a + 1; b < 10; b++) {
        int diff = 0;
        for (int i = 0; i < masks[a].length; i++) {
          diff += masks[a][i] != masks[b][i] ? 1 : 0;
        }
        assertTrue(
            diff > 200, SyntheticShapes.CLASSES.get(a) + " vs " + SyntheticShapes.CLASSES.get(b));
      }
    }
  }

  @Test
  void meanColourDoesNotRevealTheClass() {
    // Nearest class centroid on each image's mean R, G, B: a trivial cue must stay near chance.
    Split train = SyntheticShapes.generateSplit(3000, 3, 32, 5, 0);
    Split test = SyntheticShapes.generateSplit(1000, 3, 32, 5, 1);
    double[][] centroid = new double[10][3];
    int[] count = train.classCounts();
    double[][] f = meanColours(train);
    for (int i = 0; i < train.size(); i++) {
      for (int c = 0; c < 3; c++) {
        centroid[train.y()[i]][c] += f[i][c] / count[train.y()[i]];
      }
    }
    double[][] g = meanColours(test);
    int correct = 0;
    for (int i = 0; i < test.size(); i++) {
      int best = 0;
      double bestD = Double.MAX_VALUE;
      for (int k = 0; k < 10; k++) {
        double d = 0;
        for (int c = 0; c < 3; c++) {
          d += (g[i][c] - centroid[k][c]) * (g[i][c] - centroid[k][c]);
        }
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      correct += best == test.y()[i] ? 1 : 0;
    }
    double acc = correct / (double) test.size();
    assertTrue(acc < 0.2, "mean-colour accuracy " + acc + " (chance 0.1)");
  }

  private static double[][] meanColours(Split s) {
    float[] x = s.x().floatStorage();
    double[][] f = new double[s.size()][3];
    for (int i = 0; i < s.size(); i++) {
      for (int c = 0; c < 3; c++) {
        double sum = 0;
        for (int p = 0; p < 1024; p++) {
          sum += x[i * 3072 + c * 1024 + p];
        }
        f[i][c] = sum / 1024;
      }
    }
    return f;
  }

  @Test
  void badConfig() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new SyntheticShapes.Config(10, 10, 2, 32, 0));
    assertEquals("SyntheticShapes: channels must be 1 or 3, got 2", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new SyntheticShapes.Config(10, 10, 3, 8, 0));
  }
}
