package org.handgrad.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.handgrad.app.report.HtmlReport;
import org.handgrad.app.ssl.DinoTraining;
import org.handgrad.data.SyntheticVideo;
import org.handgrad.data.VideoFrames;
import org.handgrad.io.AtomicFiles;
import org.handgrad.io.Json;
import org.handgrad.io.Png;
import org.handgrad.models.ssl.dino.DinoTrainer;
import org.handgrad.models.ssl.dino.VideoSegmentation;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Tensor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code handgrad segment-video}: video object segmentation by propagating the first frame's mask
 * with a linear classifier on patch features ({@link VideoSegmentation}), from a DINO checkpoint's
 * teacher ViT or a baseline:
 *
 * <pre>
 * ./handgrad segment-video --checkpoint RUN --out DIR [--baseline random|pixels]
 *     [--frames DIR --mask FIRST.png [--masks DIR]] [--video-seed S]
 * </pre>
 *
 * Without {@code --frames} the video is generated ({@link SyntheticVideo}, seed 0 by default, never
 * used for pre-training) and scored against its masks. Prints the IoU of every frame and the mean;
 * writes {@code overlays.png} (predicted masks tinted red over the frames) and {@code pca.png} (the
 * first three principal components of the patch features as RGB). Exit codes: 0 done, 1 failed, 2
 * bad usage.
 */
@Command(
    name = "segment-video",
    description = "Propagate a first-frame mask through a video with patch features; mean IoU.")
public final class SegmentVideoCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--checkpoint",
      description = "DINO run folder or .safetensors (required except for --baseline pixels).")
  Path checkpoint;

  @Option(
      names = "--baseline",
      description = "random (the checkpoint's ViT, untrained) or pixels (raw pixel patches).")
  String baseline;

  @Option(names = "--out", required = true, description = "Folder for overlays.png and pca.png.")
  Path outDir;

  @Option(names = "--frames", description = "Folder of frame PNGs (default: a generated video).")
  Path frames;

  @Option(names = "--mask", description = "First-frame mask PNG (with --frames).")
  Path mask;

  @Option(names = "--masks", description = "Ground-truth mask PNGs, one per frame (optional).")
  Path masks;

  @Option(
      names = "--video-seed",
      defaultValue = "0",
      description = "Generated video: seed (default: ${DEFAULT-VALUE}).")
  long videoSeed;

  @Option(
      names = "--video-frames",
      defaultValue = "24",
      description = "Generated video: frames (default: ${DEFAULT-VALUE}).")
  int videoFrames;

  @Option(
      names = "--video-size",
      defaultValue = "64",
      description = "Generated video: frame side (default: ${DEFAULT-VALUE}).")
  int videoSize;

  @Option(
      names = "--patch",
      defaultValue = "4",
      description =
          "--baseline pixels without --checkpoint: patch side (default: ${DEFAULT-VALUE}).")
  int patch;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (baseline != null && !baseline.equals("random") && !baseline.equals("pixels")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--baseline: expected random or pixels, got '" + baseline + "'");
    }
    if (checkpoint == null && !"pixels".equals(baseline)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--checkpoint is required (except with --baseline pixels)");
    }
    if ((frames == null) != (mask == null)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--frames and --mask go together");
    }
    try {
      Tensor video;
      Tensor first;
      Tensor truth;
      if (frames != null) {
        VideoFrames.Loaded l = VideoFrames.load(frames, mask, masks);
        video = l.frames();
        first = l.firstMask();
        truth = l.masks();
      } else {
        SyntheticVideo.Video v =
            SyntheticVideo.generate(
                new SyntheticVideo.Config(videoFrames, videoSize, 2, videoSeed));
        video = v.frames();
        first = v.masks().select(0, 0).contiguous();
        truth = v.masks();
      }
      long start = System.nanoTime();
      Tensor feats;
      int p;
      String what;
      if ("pixels".equals(baseline)) {
        p = checkpoint != null ? DinoTrainer.readOptions(file()).vit().patch() : patch;
        feats = VideoSegmentation.pixelPatches(video, p);
        what = "raw pixel patches";
      } else {
        VisionTransformer vit;
        if ("random".equals(baseline)) {
          vit = new VisionTransformer(DinoTrainer.readOptions(file()).vit());
          what = "random-init ViT";
        } else {
          vit = DinoTrainer.loadTeacherBackbone(file());
          what = "DINO teacher ViT";
        }
        p = vit.config().patch();
        if (video.shape(1) != vit.config().inputDim()[0]) {
          video = video.mean(1, true); // a grey model reads the frames' grey level
        }
        feats = VideoSegmentation.vitPatches(vit, DinoTraining.normalize(video).to(DType.FLOAT32));
      }
      int h = video.shape(2);
      int w = video.shape(3);
      if (h % p != 0 || w % p != 0) {
        throw new IllegalArgumentException(
            "segment-video: frames " + w + "x" + h + " are not divisible by the patch " + p);
      }
      VideoSegmentation.Result r = VideoSegmentation.propagate(feats, first, p, truth);
      double secs = (System.nanoTime() - start) / 1e9;
      out.printf(
          Locale.ROOT,
          "%s, %d frames %dx%d, patch %d, features %d%n",
          what,
          video.shape(0),
          w,
          h,
          p,
          feats.shape(2));
      if (r.iou() != null) {
        for (int t = 0; t < r.iou().length; t++) {
          out.printf(Locale.ROOT, "frame %3d  IoU %.4f%n", t, r.iou()[t]);
        }
        out.printf(
            Locale.ROOT,
            "mean IoU %.4f over all %d frames (%.4f over frames 1..%d)%n",
            r.meanIou(),
            r.iou().length,
            r.meanIouLater(),
            r.iou().length - 1);
      } else {
        out.println("no ground-truth masks (--masks): IoU not computed");
      }
      Files.createDirectories(outDir);
      Path overlays = outDir.resolve("overlays.png");
      Path pca = outDir.resolve("pca.png");
      Png.write(overlays, grid(overlay(rgb(video), r.masks())));
      Png.write(pca, grid(nearest(VideoSegmentation.pcaColours(feats, h / p, w / p), h, w)));
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("features", what);
      result.put("frames", video.shape(0));
      result.put("patch", p);
      if (r.iou() != null) {
        result.put("mean_iou", r.meanIou());
        result.put("mean_iou_later_frames", r.meanIouLater());
        result.put("iou_per_frame", Arrays.stream(r.iou()).boxed().toList());
      }
      result.put("seconds", secs);
      AtomicFiles.write(
          outDir.resolve("result.json"), Json.writePretty(result).getBytes(StandardCharsets.UTF_8));
      out.printf(Locale.ROOT, "wrote %s and %s (%.1f s)%n", overlays, pca, secs);
      out.println("report: " + HtmlReport.write(outDir));
      out.flush();
      return 0;
    } catch (IOException | IllegalArgumentException e) {
      err.println("error: " + Errors.message(e));
      err.flush();
      return 1;
    }
  }

  private Path file() {
    return Files.isDirectory(checkpoint) ? checkpoint.resolve(DinoTraining.CHECKPOINT) : checkpoint;
  }

  private static Tensor rgb(Tensor v) {
    return v.shape(1) == 3 ? v : Tensor.concatenate(1, v, v, v);
  }

  /** Frames (T, 3, H, W) in [0, 1] with the mask (T, H, W) tinted red (half-transparent). */
  static Tensor overlay(Tensor frames, Tensor masks) {
    Tensor out = frames.to(DType.FLOAT32).copy();
    int t = out.shape(0);
    int h = out.shape(2);
    int w = out.shape(3);
    for (int f = 0; f < t; f++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          if (masks.get(f, y, x) != 0) {
            out.set(0.5 * out.get(f, 0, y, x) + 0.5, f, 0, y, x);
            out.set(0.5 * out.get(f, 1, y, x), f, 1, y, x);
            out.set(0.5 * out.get(f, 2, y, x), f, 2, y, x);
          }
        }
      }
    }
    return out;
  }

  /** (T, 3, gh, gw) to (T, 3, H, W) by repeating each cell (H, W multiples of gh, gw). */
  static Tensor nearest(Tensor x, int h, int w) {
    int t = x.shape(0);
    int gh = x.shape(2);
    int gw = x.shape(3);
    Tensor out = Tensor.zeros(DType.FLOAT32, t, 3, h, w);
    for (int f = 0; f < t; f++) {
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < h; y++) {
          for (int xx = 0; xx < w; xx++) {
            out.set(x.get(f, c, y * gh / h, xx * gw / w), f, c, y, xx);
          }
        }
      }
    }
    return out;
  }

  /** Frames (T, 3, H, W) in [0, 1] to one image (3, rows H, 8 W) on the 0..255 scale. */
  static Tensor grid(Tensor frames) {
    int t = frames.shape(0);
    int h = frames.shape(2);
    int w = frames.shape(3);
    int cols = Math.min(8, t);
    int rows = (t + cols - 1) / cols;
    Tensor out = Tensor.zeros(DType.FLOAT32, 3, rows * h, cols * w);
    for (int f = 0; f < t; f++) {
      int r = f / cols;
      int c = f % cols;
      out.slice(1, r * h, (r + 1) * h)
          .slice(2, c * w, (c + 1) * w)
          .copyFrom(frames.select(0, f).to(DType.FLOAT32).mul(255));
    }
    return out;
  }
}
