package org.handgrad.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile image files (issue 14): mutations and truncations of PNGs fail with an IOException naming
 * the file, and a decompression bomb is refused from its header.
 */
class PngFuzzTest {
  @TempDir Path dir;

  private static byte[] png(int type) throws IOException {
    BufferedImage img = new BufferedImage(9, 7, type);
    for (int y = 0; y < 7; y++) {
      for (int x = 0; x < 9; x++) {
        img.setRGB(x, y, 0xff000000 | (x * 25) << 16 | (y * 30) << 8 | (x * y * 3));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  private void fuzz(String name, int type, long seed) throws IOException {
    // Half the mutations keep their chunk CRCs valid, so they reach ImageIO's decoder.
    ReaderFuzz.Counts c =
        ReaderFuzz.run(
            dir.resolve(name),
            png(type),
            f -> Png.read(f, 10_000),
            1000 * ReaderFuzz.scale(),
            300 * ReaderFuzz.scale(),
            seed,
            10_000);
    ReaderFuzz.Counts fixed =
        ReaderFuzz.run(
            dir.resolve(name),
            png(type),
            f -> Png.read(f, 10_000),
            1000 * ReaderFuzz.scale(),
            0,
            seed + 100,
            10_000,
            PngFuzzTest::fixCrcs);
    System.out.println("PNG fuzz " + name + " (CRCs fixed): " + fixed);
    assertTrue(fixed.failures().isEmpty(), fixed + "\n" + String.join("\n", fixed.failures()));
    System.out.println("PNG fuzz " + name + ": " + c);
    assertTrue(c.failures().isEmpty(), c + "\n" + String.join("\n", c.failures()));
  }

  @Test
  void greyAndColourPngsFailCleanly() throws IOException {
    fuzz("grey.png", BufferedImage.TYPE_BYTE_GRAY, 1);
    fuzz("grey16.png", BufferedImage.TYPE_USHORT_GRAY, 2);
    fuzz("rgb.png", BufferedImage.TYPE_INT_RGB, 3);
    fuzz("argb.png", BufferedImage.TYPE_INT_ARGB, 4);
    fuzz("palette.png", BufferedImage.TYPE_BYTE_INDEXED, 5);
  }

  /** Recomputes the CRC of every chunk that fits the file. */
  static byte[] fixCrcs(byte[] b) {
    int p = 8;
    while (p + 12 <= b.length) {
      long len = ByteBuffer.wrap(b, p, 4).getInt() & 0xffffffffL;
      if (len > b.length - p - 12) {
        break;
      }
      CRC32 crc = new CRC32();
      crc.update(b, p + 4, 4 + (int) len);
      ByteBuffer.wrap(b, p + 8 + (int) len, 4).putInt((int) crc.getValue());
      p += 12 + (int) len;
    }
    return b;
  }

  /** A PNG chunk: length, type, data, CRC of type and data. */
  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(12 + data.length);
    b.putInt(data.length).put(type.getBytes(StandardCharsets.ISO_8859_1)).put(data);
    CRC32 crc = new CRC32();
    crc.update(b.array(), 4, 4 + data.length);
    b.putInt((int) crc.getValue());
    out.writeBytes(b.array());
  }

  @Test
  void aDecompressionBombIsRefusedFromItsHeader() throws IOException {
    // 40000 x 40000 grey pixels, all zero: 1.6 GB of pixels in a few hundred KB of deflate.
    int side = 40_000;
    ByteArrayOutputStream idat = new ByteArrayOutputStream();
    try (DeflaterOutputStream z =
        new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION))) {
      byte[] row = new byte[side + 1];
      for (int y = 0; y < 2000; y++) { // enough rows to make a real bomb-sized stream
        z.write(row);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    chunk(
        out,
        "IHDR",
        ByteBuffer.allocate(13).putInt(side).putInt(side).put((byte) 8).put((byte) 0).array());
    chunk(out, "IDAT", idat.toByteArray());
    chunk(out, "IEND", new byte[0]);
    Path bomb = dir.resolve("bomb.png");
    Files.write(bomb, out.toByteArray());
    IOException e = assertThrows(IOException.class, () -> Png.read(bomb));
    assertEquals(
        bomb + ": image size refused: expected at most 16777216 pixels, found 40000 x 40000",
        e.getMessage());
  }

  @Test
  void aFileCutAfterItsImageDataIsRefused() throws IOException {
    byte[] good = png(BufferedImage.TYPE_INT_RGB);
    Path cut = dir.resolve("cut.png");
    Files.write(cut, java.util.Arrays.copyOf(good, good.length - 12)); // IEND removed
    IOException e = assertThrows(IOException.class, () -> Png.read(cut));
    assertTrue(
        e.getMessage().startsWith(cut + ": truncated PNG: expected a chunk"), e.getMessage());
  }
}
