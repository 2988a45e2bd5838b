package org.handgrad.data;

import java.util.SplittableRandom;
import org.handgrad.tensor.Tensor;

/**
 * A procedurally generated video with ground-truth object masks, the offline stand-in for a DAVIS
 * clip in the CS231n video-object-segmentation exercise: textured objects that move, rotate and
 * deform over a textured, slowly panning background.
 *
 * <ul>
 *   <li>Background: three oriented sinusoidal gratings, each with its own random colour, frequency
 *       and phase, plus fixed per-pixel noise, shifted by a constant velocity per frame (a camera
 *       pan).
 *   <li>Objects (1 to 4): a blob whose radius varies with the angle, {@code R (1 + a sin(3 (phi -
 *       rot)))} with a wobble amplitude a that oscillates over time (the deformation), axes
 *       stretched by factors that oscillate out of phase, a rotation that advances every frame, and
 *       a centre moving at a constant velocity that bounces off the borders. Each has its own
 *       colour and a stripe texture fixed to the object (it rotates with it). Later objects are
 *       drawn over earlier ones.
 *   <li>Mask: 1 where a pixel centre lies inside any object, else 0 (foreground vs background, the
 *       binary task the linear classifier of the CS231n notes solves).
 * </ul>
 *
 * <p>Determinism: every random choice comes from one generator seeded by {@link Config#seed}, drawn
 * before any pixel, so the same config gives the same frames and masks bit for bit.
 *
 * <p>Output: frames (T, 3, S, S) float32 in [0, 1], masks (T, S, S) float32 in {0, 1}.
 */
public final class SyntheticVideo {
  private static final int GRATINGS = 3;

  private SyntheticVideo() {}

  /**
   * What to generate.
   *
   * @param frames T, &gt;= 1
   * @param size S, frame height and width, 16..512
   * @param objects number of objects, 1..4
   * @param seed fixes everything
   */
  public record Config(int frames, int size, int objects, long seed) {
    /** Validates the ranges. */
    public Config {
      if (frames < 1 || size < 16 || size > 512 || objects < 1 || objects > 4) {
        throw new IllegalArgumentException(
            "syntheticVideo: need frames >= 1, size in [16, 512] and objects in [1, 4], got frames "
                + frames
                + ", size "
                + size
                + ", objects "
                + objects);
      }
    }
  }

  /**
   * A generated video.
   *
   * @param frames shape (T, 3, S, S), values in [0, 1]
   * @param masks shape (T, S, S), 1 on the objects, 0 on the background
   */
  public record Video(Tensor frames, Tensor masks) {}

  /** One object's motion and look, drawn once. */
  private record Blob(
      double x0,
      double y0,
      double vx,
      double vy,
      double radius,
      double wobble,
      double rot0,
      double spin,
      double phase,
      double stripeFreq,
      float[] colour,
      float[] stripeColour) {}

  /** The scene: background gratings and objects. */
  private record Scene(
      double[][] grating,
      float[][] gratingColour,
      float[] noise,
      double panX,
      double panY,
      Blob[] blobs) {}

  /**
   * Generates a video.
   *
   * @param config what to generate
   * @return frames and masks
   */
  public static Video generate(Config config) {
    Scene scene = scene(config);
    int t = config.frames();
    int s = config.size();
    float[] frames = new float[t * 3 * s * s];
    float[] masks = new float[t * s * s];
    for (int f = 0; f < t; f++) {
      render(scene, config, f, frames, masks);
    }
    return new Video(Tensor.of(frames, t, 3, s, s), Tensor.of(masks, t, s, s));
  }

  /**
   * The background alone of frame t (what the frame shows wherever the mask is 0), for tests.
   *
   * @return shape (3, S, S)
   */
  static Tensor background(Config config, int t) {
    Scene scene = scene(config);
    int s = config.size();
    float[] out = new float[3 * s * s];
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        float[] c = backgroundAt(scene, s, t, x, y);
        for (int ch = 0; ch < 3; ch++) {
          out[(ch * s + y) * s + x] = c[ch];
        }
      }
    }
    return Tensor.of(out, 3, s, s);
  }

  private static Scene scene(Config config) {
    SplittableRandom r = new SplittableRandom(config.seed());
    int s = config.size();
    double[][] g = new double[GRATINGS][];
    float[][] gc = new float[GRATINGS][];
    for (int i = 0; i < GRATINGS; i++) {
      double angle = r.nextDouble() * Math.PI;
      double freq = (2 + r.nextDouble() * 6) * 2 * Math.PI / s; // 2..8 periods across the frame
      g[i] = new double[] {Math.cos(angle) * freq, Math.sin(angle) * freq, r.nextDouble() * 6.3};
      gc[i] = colour(r, 0.15, 0.85);
    }
    float[] noise = new float[s * s];
    for (int i = 0; i < noise.length; i++) {
      noise[i] = (float) (0.08 * (r.nextDouble() - 0.5));
    }
    double panX = (r.nextDouble() - 0.5) * 0.6;
    double panY = (r.nextDouble() - 0.5) * 0.6;
    Blob[] blobs = new Blob[config.objects()];
    for (int i = 0; i < blobs.length; i++) {
      double radius = s * (0.12 + 0.08 * r.nextDouble());
      double speed = s * (0.01 + 0.02 * r.nextDouble());
      double dir = r.nextDouble() * 2 * Math.PI;
      blobs[i] =
          new Blob(
              radius + r.nextDouble() * (s - 2 * radius),
              radius + r.nextDouble() * (s - 2 * radius),
              speed * Math.cos(dir),
              speed * Math.sin(dir),
              radius,
              0.1 + 0.2 * r.nextDouble(),
              r.nextDouble() * 2 * Math.PI,
              (r.nextDouble() - 0.5) * 0.2,
              r.nextDouble() * 2 * Math.PI,
              (3 + 3 * r.nextDouble()) / radius,
              colour(r, 0.0, 1.0),
              colour(r, 0.0, 1.0));
    }
    return new Scene(g, gc, noise, panX, panY, blobs);
  }

  private static float[] colour(SplittableRandom r, double lo, double hi) {
    return new float[] {
      (float) (lo + (hi - lo) * r.nextDouble()),
      (float) (lo + (hi - lo) * r.nextDouble()),
      (float) (lo + (hi - lo) * r.nextDouble())
    };
  }

  private static float[] backgroundAt(Scene sc, int s, int t, int x, int y) {
    double px = x + 0.5 + sc.panX() * t;
    double py = y + 0.5 + sc.panY() * t;
    float[] c = new float[3];
    for (int i = 0; i < GRATINGS; i++) {
      double[] g = sc.grating()[i];
      double w = 0.5 + 0.5 * Math.sin(g[0] * px + g[1] * py + g[2]);
      for (int ch = 0; ch < 3; ch++) {
        c[ch] += (float) (w * sc.gratingColour()[i][ch] / GRATINGS);
      }
    }
    float nz = sc.noise()[y * s + x];
    for (int ch = 0; ch < 3; ch++) {
      c[ch] = Math.min(1f, Math.max(0f, 0.2f + c[ch] + nz));
    }
    return c;
  }

  private static void render(Scene sc, Config config, int t, float[] frames, float[] masks) {
    int s = config.size();
    int plane = s * s;
    int base = t * 3 * plane;
    double[][] state = new double[sc.blobs().length][];
    for (int i = 0; i < state.length; i++) {
      state[i] = blobState(sc.blobs()[i], s, t);
    }
    for (int y = 0; y < s; y++) {
      for (int x = 0; x < s; x++) {
        float[] c = backgroundAt(sc, s, t, x, y);
        boolean inside = false;
        for (int i = 0; i < state.length; i++) {
          Blob b = sc.blobs()[i];
          double[] st = state[i];
          // object coordinates: translate, rotate by -rot, unstretch
          double dx = x + 0.5 - st[0];
          double dy = y + 0.5 - st[1];
          double cr = Math.cos(st[2]);
          double sr = Math.sin(st[2]);
          double u = (cr * dx + sr * dy) / st[3];
          double v = (-sr * dx + cr * dy) / st[4];
          double rho = Math.hypot(u, v);
          double phi = Math.atan2(v, u);
          double edge = b.radius() * (1 + st[5] * Math.sin(3 * phi));
          if (rho <= edge) {
            inside = true;
            double stripe = 0.5 + 0.5 * Math.sin(u * b.stripeFreq() * 2 * Math.PI / 3);
            for (int ch = 0; ch < 3; ch++) {
              c[ch] = (float) (b.colour()[ch] * stripe + b.stripeColour()[ch] * (1 - stripe));
            }
          }
        }
        for (int ch = 0; ch < 3; ch++) {
          frames[base + ch * plane + y * s + x] = c[ch];
        }
        masks[t * plane + y * s + x] = inside ? 1f : 0f;
      }
    }
  }

  /** Centre x, y (bounced), rotation, stretch along u and v, wobble amplitude at frame t. */
  private static double[] blobState(Blob b, int s, int t) {
    double lo = b.radius() * 0.6;
    double hi = s - b.radius() * 0.6;
    double cx = bounce(b.x0() + b.vx() * t, lo, hi);
    double cy = bounce(b.y0() + b.vy() * t, lo, hi);
    double rot = b.rot0() + b.spin() * t;
    double sx = 1 + 0.2 * Math.sin(0.15 * t + b.phase());
    double sy = 1 + 0.2 * Math.cos(0.15 * t + b.phase());
    double wob = b.wobble() * (0.6 + 0.4 * Math.sin(0.1 * t + 2 * b.phase()));
    return new double[] {cx, cy, rot, sx, sy, wob};
  }

  /** Reflects a coordinate into [lo, hi] (a ball bouncing between two walls). */
  private static double bounce(double p, double lo, double hi) {
    double span = hi - lo;
    if (span <= 0) {
      return (lo + hi) / 2;
    }
    double q = (p - lo) % (2 * span);
    if (q < 0) {
      q += 2 * span;
    }
    return lo + (q <= span ? q : 2 * span - q);
  }
}
