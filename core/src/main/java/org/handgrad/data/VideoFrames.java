package org.handgrad.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.handgrad.io.Png;
import org.handgrad.tensor.Tensor;

/**
 * A video given as a folder of image frames plus the mask of its first frame (the input of the
 * CS231n video-object-segmentation exercise, e.g. a DAVIS sequence exported as PNGs).
 *
 * <p>Frames are the folder's {@code .png} files in file-name order (zero-padded names sort in time
 * order), all of one size; grey frames are repeated to 3 channels. A mask is any PNG of the first
 * frame's size: a pixel whose first channel is above 127 is foreground. Ground-truth masks for
 * every frame are optional (a second folder, same count and order); without them a run can
 * propagate and draw masks but not score them.
 *
 * <p>Output: frames (T, 3, H, W) float32 in [0, 1]; masks (H, W) and (T, H, W) float32 in {0, 1}.
 */
public final class VideoFrames {
  private VideoFrames() {}

  /**
   * A loaded video.
   *
   * @param frames shape (T, 3, H, W)
   * @param firstMask shape (H, W)
   * @param masks all ground-truth masks (T, H, W), or null when not given
   * @param names the frame file names, in order
   */
  public record Loaded(Tensor frames, Tensor firstMask, Tensor masks, List<String> names) {}

  /**
   * Loads frames, the first-frame mask and, optionally, every frame's ground-truth mask.
   *
   * @param framesDir folder of frame PNGs
   * @param firstMaskPng the first frame's mask
   * @param masksDir folder of ground-truth mask PNGs, one per frame in the same order, or null
   * @throws IOException when a file is unreadable, the folder holds no PNG, the frames differ in
   *     size, or a mask does not match the first frame's size (the message names the files)
   */
  public static Loaded load(Path framesDir, Path firstMaskPng, Path masksDir) throws IOException {
    List<Path> files = pngs(framesDir);
    Tensor first = null;
    Tensor[] frames = new Tensor[files.size()];
    List<String> names = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Tensor img = rgb(Png.read(files.get(i)));
      if (first != null && (img.shape(1) != first.shape(1) || img.shape(2) != first.shape(2))) {
        throw new IOException(
            "video frames: "
                + files.get(i).getFileName()
                + " is "
                + img.shape(2)
                + "x"
                + img.shape(1)
                + " but the first frame "
                + files.get(0).getFileName()
                + " is "
                + first.shape(2)
                + "x"
                + first.shape(1)
                + "; all frames must have one size");
      }
      if (first == null) {
        first = img;
      }
      frames[i] = img.div(255.0);
      names.add(files.get(i).getFileName().toString());
    }
    int h = first.shape(1);
    int w = first.shape(2);
    Tensor firstMask = mask(firstMaskPng, h, w, files.get(0));
    Tensor masks = null;
    if (masksDir != null) {
      List<Path> maskFiles = pngs(masksDir);
      if (maskFiles.size() != files.size()) {
        throw new IOException(
            "video frames: "
                + masksDir
                + " holds "
                + maskFiles.size()
                + " masks for "
                + files.size()
                + " frames");
      }
      Tensor[] ms = new Tensor[maskFiles.size()];
      for (int i = 0; i < ms.length; i++) {
        ms[i] = mask(maskFiles.get(i), h, w, files.get(i));
      }
      masks = Tensor.stack(0, ms);
    }
    return new Loaded(Tensor.stack(0, frames), firstMask, masks, List.copyOf(names));
  }

  /**
   * Reads a mask PNG: first channel above 127 is foreground.
   *
   * @return shape (H, W), values 0 or 1
   * @throws IOException when its size is not h x w
   */
  static Tensor mask(Path png, int h, int w, Path frame) throws IOException {
    Tensor m = Png.read(png);
    if (m.shape(1) != h || m.shape(2) != w) {
      throw new IOException(
          "video frames: mask "
              + png.getFileName()
              + " is "
              + m.shape(2)
              + "x"
              + m.shape(1)
              + " but frame "
              + frame.getFileName()
              + " is "
              + w
              + "x"
              + h
              + "; a mask must match its frame");
    }
    return m.select(0, 0).gt(127.0).to(org.handgrad.tensor.DType.FLOAT32);
  }

  private static List<Path> pngs(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("video frames: " + dir + " is not a folder");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files =
          s.filter(
                  p ->
                      Files.isRegularFile(p)
                          && p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png"))
              .sorted()
              .toList();
    }
    if (files.isEmpty()) {
      throw new IOException("video frames: no .png file in " + dir);
    }
    return files;
  }

  private static Tensor rgb(Tensor img) {
    return img.shape(0) == 3 ? img : Tensor.concatenate(0, img, img, img);
  }
}
