package org.handgrad.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.handgrad.tensor.Tensor;

/**
 * Reader for the CIFAR-10 binary version ({@code cifar-10-binary.tar.gz}, extracted to {@code
 * cifar-10-batches-bin/}).
 *
 * <p>Format (from www.cs.toronto.edu/~kriz/cifar.html): each batch file holds 10000 records of 3073
 * bytes: 1 label byte (0..9), then 3072 pixel bytes: the red plane, then green, then blue, each
 * 32x32 row-major. That is exactly the (C, H, W) layout, so a record's pixels are copied in order.
 * {@code batches.meta.txt} lists the 10 class names, one per line.
 *
 * <p>Training = data_batch_1..5.bin (50000 images), test = test_batch.bin (10000). Images come back
 * as (N, 3, 32, 32) float32 in [0, 1]: the whole dataset takes 737 MB as float32.
 *
 * <p>Layout note: CS231n's {@code load_CIFAR10} returns (N, 32, 32, 3) float64 in 0..255; here the
 * channels come first (the PyTorch layout), so flattened rows order features C, H, W instead.
 */
public final class Cifar10 {
  private Cifar10() {}

  /** Pixel bytes per record: 3 planes of 32x32. */
  public static final int PIXELS = 3 * 32 * 32;

  /** Bytes per record: the label byte and the pixels. */
  public static final int RECORD_BYTES = 1 + PIXELS;

  /** Records per batch file in the official distribution. */
  public static final int RECORDS_PER_BATCH = 10_000;

  /** Folder created by extracting the official archive. */
  public static final String FOLDER = "cifar-10-batches-bin";

  /** Training batch file names. */
  public static final List<String> TRAIN_FILES =
      List.of(
          "data_batch_1.bin",
          "data_batch_2.bin",
          "data_batch_3.bin",
          "data_batch_4.bin",
          "data_batch_5.bin");

  /** Test batch file name. */
  public static final String TEST_FILE = "test_batch.bin";

  /** Label-name file. */
  public static final String META_FILE = "batches.meta.txt";

  /** The class names in label order, as in batches.meta.txt. */
  public static final List<String> CLASSES =
      List.of(
          "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

  /** Loads the official dataset (10000 records per batch file). */
  public static Dataset load(Path dir) throws IOException {
    return load(dir, RECORDS_PER_BATCH);
  }

  /**
   * Loads CIFAR-10 from {@code dir}, which is either the extracted {@code cifar-10-batches-bin}
   * folder or a folder containing it.
   *
   * @param recordsPerBatch the record count every batch file must hold (10000 for the real data;
   *     smaller in tests)
   * @throws IOException when a file is missing, has the wrong size, or holds a label outside 0..9
   */
  public static Dataset load(Path dir, int recordsPerBatch) throws IOException {
    Path base = Files.isDirectory(dir.resolve(FOLDER)) ? dir.resolve(FOLDER) : dir;
    List<String> names = CLASSES;
    Path meta = base.resolve(META_FILE);
    if (Files.isRegularFile(meta)) {
      names = readLabelNames(meta);
    }
    // Check every file before allocating the (large) arrays: a bad file fails fast and cheaply.
    for (String f : TRAIN_FILES) {
      checkSize(base.resolve(f), recordsPerBatch);
    }
    checkSize(base.resolve(TEST_FILE), recordsPerBatch);
    int n = TRAIN_FILES.size() * recordsPerBatch;
    float[] x = new float[n * PIXELS];
    int[] y = new int[n];
    for (int b = 0; b < TRAIN_FILES.size(); b++) {
      readRecords(base.resolve(TRAIN_FILES.get(b)), recordsPerBatch, x, y, b * recordsPerBatch);
    }
    Split train = new Split(Tensor.of(x, n, 3, 32, 32), y, names);
    Split test = readBatch(base.resolve(TEST_FILE), recordsPerBatch, names);
    return new Dataset("cifar10", train, test);
  }

  /**
   * Reads one batch file.
   *
   * @param records the number of records the file must hold
   * @return images (records, 3, 32, 32) float32 in [0, 1] with labels
   */
  public static Split readBatch(Path file, int records, List<String> classNames)
      throws IOException {
    float[] x = new float[records * PIXELS];
    int[] y = new int[records];
    readRecords(file, records, x, y, 0);
    return new Split(Tensor.of(x, records, 3, 32, 32), y, classNames);
  }

  /**
   * Reads {@code batches.meta.txt}: one class name per line, blank lines ignored.
   *
   * @throws IOException when the file does not list exactly 10 names
   */
  public static List<String> readLabelNames(Path file) throws IOException {
    List<String> names = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    if (names.size() != CLASSES.size()) {
      throw new IOException(
          file + ": expected " + CLASSES.size() + " class names, found " + names.size());
    }
    return names;
  }

  /** Reads {@code records} records into x (from image {@code at}) and y, after a size check. */
  private static void readRecords(Path file, int records, float[] x, int[] y, int at)
      throws IOException {
    checkSize(file, records);
    byte[] rec = new byte[RECORD_BYTES];
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      for (int r = 0; r < records; r++) {
        if (in.readNBytes(rec, 0, RECORD_BYTES) != RECORD_BYTES) {
          throw new IOException(file + ": truncated while reading record " + r);
        }
        int label = rec[0] & 0xff;
        if (label >= CLASSES.size()) {
          throw new IOException(
              file + ": record " + r + " has label " + label + ", expected 0..9 (corrupt file?)");
        }
        y[at + r] = label;
        int off = (at + r) * PIXELS;
        for (int i = 0; i < PIXELS; i++) {
          x[off + i] = (rec[1 + i] & 0xff) / 255f;
        }
      }
    }
  }

  /** Checks that {@code file} exists and holds exactly {@code records} records. */
  private static void checkSize(Path file, int records) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("cifar10: missing " + file);
    }
    long expected = (long) records * RECORD_BYTES;
    long found = Files.size(file);
    if (found != expected) {
      throw new IOException(
          file
              + ": wrong size: expected "
              + expected
              + " bytes ("
              + records
              + " records of "
              + RECORD_BYTES
              + "), found "
              + found
              + (found % RECORD_BYTES == 0 ? "" : " (not a whole number of records)"));
    }
  }
}
