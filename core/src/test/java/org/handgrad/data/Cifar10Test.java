package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10 binary reader on small batch files written here in the exact record format. */
class Cifar10Test {
  @TempDir Path tmp;

  /**
   * Record r of batch b: label (b + r) mod 10, pixel byte at (c, h, w) = (b*31 + r*7 + c*50 + h +
   * w*3) mod 256.
   */
  static byte[] batch(int b, int records) {
    byte[] data = new byte[records * Cifar10.RECORD_BYTES];
    for (int r = 0; r < records; r++) {
      int o = r * Cifar10.RECORD_BYTES;
      data[o] = (byte) ((b + r) % 10);
      for (int c = 0; c < 3; c++) {
        for (int h = 0; h < 32; h++) {
          for (int w = 0; w < 32; w++) {
            data[o + 1 + c * 1024 + h * 32 + w] = (byte) (b * 31 + r * 7 + c * 50 + h + w * 3);
          }
        }
      }
    }
    return data;
  }

  static Path writeBatches(Path dir, int records) throws IOException {
    Files.createDirectories(dir);
    for (int b = 0; b < 5; b++) {
      Files.write(dir.resolve(Cifar10.TRAIN_FILES.get(b)), batch(b, records));
    }
    Files.write(dir.resolve(Cifar10.TEST_FILE), batch(5, records));
    Files.writeString(dir.resolve(Cifar10.META_FILE), String.join("\n", Cifar10.CLASSES) + "\n\n");
    return dir;
  }

  private static int expectedByte(int b, int r, int c, int h, int w) {
    return (b * 31 + r * 7 + c * 50 + h + w * 3) & 0xff;
  }

  @Test
  void readsPlanesAsChannelsFirst() throws IOException {
    Path f = tmp.resolve("one.bin");
    Files.write(f, batch(2, 3));
    Split s = Cifar10.readBatch(f, 3, Cifar10.CLASSES);
    assertArrayEquals(new int[] {3, 3, 32, 32}, s.x().shape());
    assertArrayEquals(new int[] {2, 3, 4}, s.y());
    Tensor x = s.x();
    for (int[] p : new int[][] {{0, 0, 0, 0}, {1, 1, 5, 7}, {2, 2, 31, 31}, {2, 0, 31, 0}}) {
      float want = expectedByte(2, p[0], p[1], p[2], p[3]) / 255f;
      assertEquals(want, (float) x.get(p[0], p[1], p[2], p[3]), 0f, Arrays.toString(p));
    }
  }

  @Test
  void loadsTrainAndTestFromParentFolder() throws IOException {
    writeBatches(tmp.resolve(Cifar10.FOLDER), 4);
    Dataset d = Cifar10.load(tmp, 4);
    assertEquals("cifar10", d.name());
    assertEquals(20, d.train().size());
    assertEquals(4, d.test().size());
    assertEquals(Cifar10.CLASSES, d.classNames());
    // Image 9 of train = record 1 of batch 2 (data_batch_3.bin).
    assertEquals(3, d.train().y()[9]);
    assertEquals(expectedByte(2, 1, 2, 10, 20) / 255f, (float) d.train().x().get(9, 2, 10, 20), 0f);
    assertEquals(expectedByte(5, 3, 1, 0, 1) / 255f, (float) d.test().x().get(3, 1, 0, 1), 0f);
  }

  @Test
  void labelNamesComeFromMetaFile() throws IOException {
    Path dir = writeBatches(tmp.resolve("b"), 2);
    List<String> renamed = new java.util.ArrayList<>(Cifar10.CLASSES);
    renamed.set(0, "plane");
    Files.writeString(dir.resolve(Cifar10.META_FILE), String.join("\n", renamed));
    assertEquals("plane", Cifar10.load(dir, 2).classNames().get(0));
  }

  @Test
  void metaFileWithWrongCountIsRejected() throws IOException {
    Path dir = writeBatches(tmp.resolve("b"), 2);
    Files.writeString(dir.resolve(Cifar10.META_FILE), "cat\ndog\n", StandardCharsets.UTF_8);
    IOException e = assertThrows(IOException.class, () -> Cifar10.load(dir, 2));
    assertTrue(e.getMessage().contains("expected 10 class names, found 2"), e.getMessage());
  }

  @Test
  void truncatedBatchNamesExpectedAndFoundSize() throws IOException {
    Path dir = writeBatches(tmp.resolve("b"), 2);
    Path f = dir.resolve("data_batch_4.bin");
    byte[] b = Files.readAllBytes(f);
    Files.write(f, Arrays.copyOf(b, b.length - 100));
    IOException e = assertThrows(IOException.class, () -> Cifar10.load(dir, 2));
    assertTrue(e.getMessage().contains("data_batch_4.bin"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 6146 bytes (2 records of 3073)"), e.getMessage());
    assertTrue(e.getMessage().contains("found 6046"), e.getMessage());
  }

  @Test
  void officialRecordCountIsEnforced() throws IOException {
    Path dir = writeBatches(tmp.resolve("b"), 2);
    IOException e = assertThrows(IOException.class, () -> Cifar10.load(dir));
    assertTrue(e.getMessage().contains("expected 30730000 bytes"), e.getMessage());
  }

  @Test
  void corruptLabelIsRejected() throws IOException {
    Path f = tmp.resolve("bad.bin");
    byte[] b = batch(0, 3);
    b[2 * Cifar10.RECORD_BYTES] = (byte) 200;
    Files.write(f, b);
    IOException e = assertThrows(IOException.class, () -> Cifar10.readBatch(f, 3, Cifar10.CLASSES));
    assertTrue(e.getMessage().contains("record 2 has label 200"), e.getMessage());
  }

  @Test
  void missingBatchIsNamed() throws IOException {
    Path dir = writeBatches(tmp.resolve("b"), 2);
    Files.delete(dir.resolve("test_batch.bin"));
    IOException e = assertThrows(IOException.class, () -> Cifar10.load(dir, 2));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
    assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
  }
}
