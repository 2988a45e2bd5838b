package org.handgrad.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxTest {
  @TempDir Path tmp;

  private Path write(String name, byte[] bytes) throws IOException {
    return Files.write(tmp.resolve(name), bytes);
  }

  @Test
  void readsImagesAsUnitFloatsNchw() throws IOException {
    Path f = write("imgs", IdxFiles.images(3, 6, 5));
    Tensor x = Idx.readImages(f);
    assertEquals(DType.FLOAT32, x.dtype());
    assertArrayEquals(new int[] {3, 1, 6, 5}, x.shape());
    assertEquals((2 * 7 + 4 * 3 + 1) / 255f, (float) x.get(2, 0, 4, 1), 0f);
    assertEquals(0f, (float) x.get(0, 0, 0, 0), 0f);
  }

  @Test
  void detectsGzipByMagicNotByName() throws IOException {
    byte[] raw = IdxFiles.labels(12);
    // gzip content under a plain name, and plain content under a .gz name: both must read.
    Path gzNoSuffix = write("labels-plain-name", IdxFiles.gzip(raw));
    Path plainGzSuffix = write("labels.gz", raw);
    int[] a = Idx.readLabels(gzNoSuffix, 10);
    int[] b = Idx.readLabels(plainGzSuffix, 10);
    assertArrayEquals(a, b);
    assertEquals(12, a.length);
    assertEquals(1, a[11]);
  }

  @Test
  void unsignedBytesAbove127() throws IOException {
    byte[] px = {(byte) 255, (byte) 128, 0, 1};
    Tensor x = Idx.readImages(write("u", IdxFiles.idx(new int[] {1, 2, 2}, px)));
    assertEquals(1f, (float) x.getFlat(0), 0f);
    assertEquals(128 / 255f, (float) x.getFlat(1), 0f);
  }

  @Test
  void badMagicNamesFileAndValue() throws IOException {
    byte[] b = IdxFiles.labels(4);
    b[0] = 0x12;
    Path f = write("bad-magic", b);
    IOException e = assertThrows(IOException.class, () -> Idx.read(f));
    assertTrue(e.getMessage().contains("bad-magic"), e.getMessage());
    assertTrue(e.getMessage().contains("bad IDX magic number 0x12000801"), e.getMessage());
  }

  @Test
  void unsupportedElementType() throws IOException {
    byte[] b = IdxFiles.labels(4);
    b[2] = 0x0D; // float32 elements
    IOException e = assertThrows(IOException.class, () -> Idx.read(write("float", b)));
    assertTrue(e.getMessage().contains("unsupported IDX element type 0x0D"), e.getMessage());
  }

  @Test
  void truncatedPlainFileReportsExpectedAndFoundSize() throws IOException {
    byte[] full = IdxFiles.images(4, 6, 5); // 16 + 120 bytes
    Path f = write("short", Arrays.copyOf(full, full.length - 7));
    IOException e = assertThrows(IOException.class, () -> Idx.read(f));
    assertTrue(e.getMessage().contains("short"), e.getMessage());
    assertTrue(e.getMessage().contains("expected 136 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("found 129"), e.getMessage());
  }

  @Test
  void truncatedHeader() throws IOException {
    byte[] full = IdxFiles.images(4, 6, 5);
    IOException e =
        assertThrows(IOException.class, () -> Idx.read(write("hdr", Arrays.copyOf(full, 9))));
    assertTrue(e.getMessage().contains("expected a 16-byte header"), e.getMessage());
    assertTrue(e.getMessage().contains("found 8"), e.getMessage());
  }

  @Test
  void trailingBytesAreAnError() throws IOException {
    byte[] full = IdxFiles.labels(5);
    Path f = write("long", Arrays.copyOf(full, full.length + 3));
    IOException e = assertThrows(IOException.class, () -> Idx.read(f));
    assertTrue(e.getMessage().contains("expected 13 bytes"), e.getMessage());
    assertTrue(e.getMessage().contains("found 16"), e.getMessage());
  }

  @Test
  void truncatedGzipStream() throws IOException {
    byte[] gz = IdxFiles.gzip(IdxFiles.images(50, 6, 5));
    Path f = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
    IOException e = assertThrows(IOException.class, () -> Idx.read(f));
    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("expected 1516 bytes"), e.getMessage());
  }

  @Test
  void corruptGzipTrailerIsDetected() throws IOException {
    byte[] gz = IdxFiles.gzip(IdxFiles.labels(20));
    gz[gz.length - 6] ^= 0x55; // inside the CRC-32 trailer: data decodes, check fails
    IOException e = assertThrows(IOException.class, () -> Idx.read(write("crc.gz", gz)));
    assertTrue(e.getMessage().contains("crc.gz"), e.getMessage());
  }

  @Test
  void labelOutOfRange() throws IOException {
    Path f = write("lab", IdxFiles.idx(new int[] {3}, new byte[] {1, 10, 2}));
    IOException e = assertThrows(IOException.class, () -> Idx.readLabels(f, 10));
    assertTrue(e.getMessage().contains("label 10 at index 1 is outside 0..9"), e.getMessage());
  }

  @Test
  void wrongRankForImagesAndLabels() throws IOException {
    Path labels = write("l", IdxFiles.labels(3));
    Path images = write("i", IdxFiles.images(3, 2, 2));
    assertThrows(IOException.class, () -> Idx.readImages(labels));
    assertThrows(IOException.class, () -> Idx.readLabels(images, 10));
  }

  @Test
  void splitCountsMustAgree() throws IOException {
    Path images = write("i", IdxFiles.images(4, 2, 2));
    Path labels = write("l", IdxFiles.labels(3));
    IOException e =
        assertThrows(IOException.class, () -> Idx.readSplit(images, labels, Mnist.DIGITS));
    assertTrue(e.getMessage().contains("4 images"), e.getMessage());
    assertTrue(e.getMessage().contains("3 labels"), e.getMessage());
  }

  @Test
  void mnistLoadAcceptsGzippedAndUnpackedFiles() throws IOException {
    Path dir = IdxFiles.writeDataset(tmp.resolve("ds"), 20, 10);
    // Unpack one file: the loader must find "t10k-labels-idx1-ubyte" without the suffix.
    Files.delete(dir.resolve("t10k-labels-idx1-ubyte.gz"));
    Files.write(dir.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(10));
    Dataset d = Mnist.load(dir, "tiny", Mnist.DIGITS);
    assertEquals(20, d.train().size());
    assertEquals(10, d.test().size());
    assertArrayEquals(new int[] {1, 6, 5}, d.train().exampleShape());
    assertArrayEquals(new int[] {2, 2, 2, 2, 2, 2, 2, 2, 2, 2}, d.train().classCounts());
  }

  @Test
  void mnistLoadNamesMissingFile() throws IOException {
    Path dir = IdxFiles.writeDataset(tmp.resolve("ds"), 20, 10);
    Files.delete(dir.resolve("train-images-idx3-ubyte.gz"));
    IOException e = assertThrows(IOException.class, () -> Mnist.loadDigits(dir));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
    assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
  }
}
