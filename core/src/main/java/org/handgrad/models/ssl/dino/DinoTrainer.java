package org.handgrad.models.ssl.dino;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.random.RandomGenerator;
import org.handgrad.io.Safetensors;
import org.handgrad.models.Nets;
import org.handgrad.models.vit.VisionTransformer;
import org.handgrad.nn.Parameter;
import org.handgrad.nn.functional.DinoLoss;
import org.handgrad.nn.functional.Forward;
import org.handgrad.nn.graph.Tape;
import org.handgrad.nn.graph.Var;
import org.handgrad.nn.init.Init;
import org.handgrad.optim.AdamW;
import org.handgrad.optim.GradClip;
import org.handgrad.optim.Optimizer;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Rng;
import org.handgrad.tensor.Tensor;

/**
 * DINO pre-training (Caron et al. 2021, Algorithm 1): a student and a teacher {@link DinoNetwork}
 * of the same architecture; per step, multi-crop views of a batch, the teacher on the two global
 * views, the student on every view, {@link DinoLoss}, an AdamW step on the student, the EMA update
 * of the teacher and the centre update ({@link DinoUpdates}).
 *
 * <p>The student runs twice per step, on the global views and then on the smaller local views, each
 * pass followed at once by its own backward with that block's share of the loss ({@link
 * DinoLoss#dinoLossForward(Tensor, int, int, Tensor, Tensor, double, double)}): the loss is a sum
 * over student views, so the gradients are exactly those of the whole loss, and each module's cache
 * is used before the next pass replaces it.
 *
 * <p>Every random draw (the batch's images, then the crops) comes from one {@link Rng} seeded by
 * {@link Options#seed}; {@link #save} and {@link #restore} keep both networks, the centre, the
 * AdamW state, the generator state and the step, so a resumed run continues exactly.
 *
 * <p>Simplifications against the paper, all deliberate for a 2-core CPU: no photometric
 * augmentations, one weight decay (no schedule) applied to every trained parameter, and the last
 * layer is not frozen during the first epoch.
 */
public final class DinoTrainer {
  private static final String FORMAT = "handgrad-dino";
  private static final String OPTIM = "optim.";
  private static final String STUDENT = "student.";
  private static final String TEACHER = "teacher.";

  /**
   * Everything a run needs.
   *
   * @param vit the backbone (its input size is the global crop size; numClasses is unused)
   * @param hiddenDim the head's hidden width
   * @param bottleneckDim the head's bottleneck
   * @param outDim K, the head's output size
   * @param localSize side of the local crops, divisible by the patch
   * @param numLocal local crops per image
   * @param studentTemp tau_s (0.1)
   * @param teacherTempStart tau_t at step 0 (0.04)
   * @param teacherTempEnd tau_t after the warm-up (0.07)
   * @param teacherTempWarmup warm-up steps of tau_t
   * @param momentumBase the teacher's starting EMA momentum (0.996)
   * @param centerMomentum the centre's momentum (0.9)
   * @param learningRate peak AdamW rate
   * @param minLearningRate final rate of the cosine
   * @param warmupSteps linear warm-up of the rate
   * @param weightDecay AdamW's decoupled decay (0.04, the paper's starting value)
   * @param clipGrad global gradient-norm clip, 0 for none (3.0 in the paper)
   * @param batchSize N, images per step
   * @param totalSteps length of the run (the schedules' horizon)
   * @param seed seeds the weights (student = teacher at step 0) and every random draw
   */
  public record Options(
      VisionTransformer.Config vit,
      int hiddenDim,
      int bottleneckDim,
      int outDim,
      int localSize,
      int numLocal,
      double studentTemp,
      double teacherTempStart,
      double teacherTempEnd,
      int teacherTempWarmup,
      double momentumBase,
      double centerMomentum,
      double learningRate,
      double minLearningRate,
      int warmupSteps,
      double weightDecay,
      double clipGrad,
      int batchSize,
      int totalSteps,
      long seed) {
    /** Validates every field with a message naming it. */
    public Options {
      Objects.requireNonNull(vit, "dino: vit");
      String m = "dino";
      int p = vit.patch();
      if (localSize < p || localSize % p != 0) {
        throw new IllegalArgumentException(
            m
                + ": local crop size "
                + localSize
                + " must be a positive multiple of the patch "
                + p);
      }
      Nets.requireAtLeast(m, "num_local", numLocal, 0);
      Nets.requireAtLeast(m, "out_dim", outDim, 2);
      positive(m, "student_temp", studentTemp);
      positive(m, "teacher_temp_start", teacherTempStart);
      positive(m, "teacher_temp_end", teacherTempEnd);
      Nets.requireAtLeast(m, "teacher_temp_warmup", teacherTempWarmup, 0);
      unit(m, "momentum_base", momentumBase);
      unit(m, "center_momentum", centerMomentum);
      positive(m, "learning_rate", learningRate);
      if (!(minLearningRate >= 0 && minLearningRate <= learningRate)) {
        throw new IllegalArgumentException(
            m + ": min_learning_rate must be in [0, learning_rate], got " + minLearningRate);
      }
      Nets.requireAtLeast(m, "batch_size", batchSize, 1);
      Nets.requireAtLeast(m, "total_steps", totalSteps, 1);
      if (warmupSteps < 0 || warmupSteps > totalSteps) {
        throw new IllegalArgumentException(
            m + ": warmup_steps must be in [0, total_steps], got " + warmupSteps);
      }
      if (!(weightDecay >= 0) || !(clipGrad >= 0)) {
        throw new IllegalArgumentException(
            m + ": weight_decay and clip_grad must be >= 0, got " + weightDecay + ", " + clipGrad);
      }
    }

    /**
     * The paper's DINO settings scaled to a small model: head 256 / 64 / K 256, tau_s 0.1, tau_t
     * 0.04 to 0.07 over the first tenth of the run, momentum 0.996, centre 0.9, AdamW 5e-4 to 1e-6
     * with a tenth of the run of warm-up, weight decay 0.04, clip 3.0, batch 32.
     *
     * @param vit the backbone configuration (input = global crop size)
     * @param localSize local crop side
     * @param numLocal local crops per image
     * @param totalSteps length of the run
     * @param seed the run's seed
     */
    public static Options defaults(
        VisionTransformer.Config vit, int localSize, int numLocal, int totalSteps, long seed) {
      int tenth = Math.max(0, totalSteps / 10);
      return new Options(
          vit,
          256,
          64,
          256,
          localSize,
          numLocal,
          0.1,
          0.04,
          0.07,
          tenth,
          0.996,
          0.9,
          5e-4,
          1e-6,
          tenth,
          0.04,
          3.0,
          32,
          totalSteps,
          seed);
    }

    /** The same options with another batch size. */
    public Options withBatchSize(int n) {
      return new Options(
          vit,
          hiddenDim,
          bottleneckDim,
          outDim,
          localSize,
          numLocal,
          studentTemp,
          teacherTempStart,
          teacherTempEnd,
          teacherTempWarmup,
          momentumBase,
          centerMomentum,
          learningRate,
          minLearningRate,
          warmupSteps,
          weightDecay,
          clipGrad,
          n,
          totalSteps,
          seed);
    }

    /** The same options with another peak learning rate (the minimum is kept below it). */
    public Options withLearningRate(double lr) {
      return new Options(
          vit,
          hiddenDim,
          bottleneckDim,
          outDim,
          localSize,
          numLocal,
          studentTemp,
          teacherTempStart,
          teacherTempEnd,
          teacherTempWarmup,
          momentumBase,
          centerMomentum,
          lr,
          Math.min(minLearningRate, lr),
          warmupSteps,
          weightDecay,
          clipGrad,
          batchSize,
          totalSteps,
          seed);
    }

    private static void positive(String m, String name, double v) {
      if (!(v > 0) || Double.isInfinite(v)) {
        throw new IllegalArgumentException(m + ": " + name + " must be > 0, got " + v);
      }
    }

    private static void unit(String m, String name, double v) {
      if (!(v >= 0 && v <= 1)) {
        throw new IllegalArgumentException(m + ": " + name + " must be in [0, 1], got " + v);
      }
    }
  }

  /**
   * What one step measured.
   *
   * @param loss the DINO loss (all views)
   * @param teacherEntropy mean entropy of the teacher's targets, nats (log K = uniform collapse, 0
   *     = one-hot)
   * @param learningRate the rate used
   * @param momentum the teacher momentum used
   * @param teacherTemp tau_t used
   */
  public record Stats(
      double loss,
      double teacherEntropy,
      double learningRate,
      double momentum,
      double teacherTemp) {}

  private final Options options;
  private final DinoNetwork student;
  private final DinoNetwork teacher;
  private final List<Parameter> studentParams;
  private final List<Parameter> teacherParams;
  private final MultiCrop crops;
  private final Tensor center;
  private final Optimizer optimizer;
  private final Rng rng;
  private final RandomGenerator draws;
  private int step;

  /** A fresh run: student and teacher start equal (the teacher is a copy of the student). */
  public DinoTrainer(Options options) {
    this.options = Objects.requireNonNull(options, "options");
    student = network(options);
    teacher = network(options);
    studentParams = student.trainable();
    teacherParams = teacher.trainable();
    for (int i = 0; i < studentParams.size(); i++) {
      teacherParams.get(i).assign(studentParams.get(i).value());
    }
    crops = MultiCrop.of(options.vit().inputDim()[1], options.localSize(), options.numLocal());
    center = Tensor.zeros(options.vit().dtype(), options.outDim());
    optimizer =
        new Optimizer(new AdamW(options.learningRate(), 0.9, 0.999, 1e-8, options.weightDecay()));
    rng = new Rng(options.seed());
    draws = rng::nextLong;
  }

  /** A student or teacher network of these options, seeded by {@code options.seed()}. */
  public static DinoNetwork network(Options options) {
    VisionTransformer vit = new VisionTransformer(options.vit());
    DinoHead head =
        new DinoHead(
            options.vit().dim(),
            options.hiddenDim(),
            options.bottleneckDim(),
            options.outDim(),
            options.vit().dtype(),
            Init.rng(options.seed() * 7 + 1));
    return new DinoNetwork(vit, head);
  }

  /** The options. */
  public Options options() {
    return options;
  }

  /** The student network. */
  public DinoNetwork student() {
    return student;
  }

  /** The teacher network (the one DINO evaluates). */
  public DinoNetwork teacher() {
    return teacher;
  }

  /** The centre, shape (K,) (live). */
  public Tensor center() {
    return center;
  }

  /** Steps done. */
  public int step() {
    return step;
  }

  /**
   * One DINO step on a batch drawn from {@code data} (N images without replacement).
   *
   * @param data the training images, shape (M, C, H, W), M &gt;= N, already normalized
   * @return what the step measured
   */
  public Stats step(Tensor data) {
    if (data.ndim() != 4 || data.shape(1) != options.vit().inputDim()[0]) {
      throw new IllegalArgumentException(
          "dino: expected images (M, "
              + options.vit().inputDim()[0]
              + ", H, W), got "
              + data.shapeString());
    }
    int n = options.batchSize();
    if (data.shape(0) < n) {
      throw new IllegalArgumentException(
          "dino: " + data.shape(0) + " images cannot fill a batch of " + n);
    }
    if (step >= options.totalSteps()) {
      throw new IllegalStateException(
          "dino: the run is complete (" + options.totalSteps() + " steps)");
    }
    Tensor batch = data.take(0, rng.choice(data.shape(0), n, false)).contiguous();
    MultiCrop.Views views = crops.apply(batch, draws);
    int numViews = views.numViews();
    int k = options.outDim();
    double tauT =
        DinoUpdates.teacherTemperature(
            step,
            options.teacherTempWarmup(),
            options.teacherTempStart(),
            options.teacherTempEnd());
    double lr =
        DinoUpdates.learningRate(
            step,
            options.totalSteps(),
            options.warmupSteps(),
            options.learningRate(),
            options.minLearningRate());
    double m = DinoUpdates.teacherMomentum(step, options.totalSteps(), options.momentumBase());

    // Teacher: the two global views only, no gradient.
    Tensor teacherOut = teacher.outputs(merge(views.globals())); // (2N, K)
    Tensor teacher3 = teacherOut.reshape(2, n, k);

    // Student: global block (views 0, 1), then local block (views 2 ..), each with its backward.
    student.train();
    Nets.zeroGrads(studentParams);
    double loss = studentBlock(views.globals(), 0, numViews, teacher3, tauT);
    if (views.locals() != null) {
      loss += studentBlock(views.locals(), 2, numViews, teacher3, tauT);
    }
    if (options.clipGrad() > 0) {
      GradClip.clipByGlobalNorm(studentParams, options.clipGrad());
    }
    optimizer.setLearningRate(lr);
    optimizer.step(studentParams);
    DinoUpdates.emaUpdate(teacherParams, studentParams, m);
    double entropy = entropy(DinoLoss.teacherProbs(teacherOut, center, tauT));
    DinoUpdates.updateCenter(center, teacherOut, options.centerMomentum());
    step++;
    return new Stats(loss, entropy, lr, m, tauT);
  }

  private double studentBlock(
      Tensor views, int firstView, int numViews, Tensor teacher3, double tauT) {
    int b = views.shape(0);
    int n = views.shape(1);
    Tape tape = new Tape();
    Var out = student.forward(tape, tape.constant(merge(views)));
    Forward<DinoLoss.Cache> f =
        DinoLoss.dinoLossForward(
            out.value().reshape(b, n, options.outDim()),
            firstView,
            numViews,
            teacher3,
            center,
            options.studentTemp(),
            tauT);
    Tensor dout = DinoLoss.dinoLossBackward(1.0, f.cache()).reshape(b * n, options.outDim());
    tape.backward(out, dout);
    return f.out().item();
  }

  /** (V, N, C, H, W) to (V N, C, H, W), view-major. */
  private static Tensor merge(Tensor views) {
    int[] s = views.shape();
    return views.reshape(s[0] * s[1], s[2], s[3], s[4]);
  }

  private static double entropy(Tensor probs) {
    double[] q = probs.toDoubleArray();
    int k = probs.shape(1);
    double h = 0;
    for (double v : q) {
      if (v > 0) {
        h -= v * Math.log(v);
      }
    }
    return h / (q.length / k);
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Writes one safetensors file: {@code student.<name>}, {@code teacher.<name>}, {@code center},
   * {@code optim.<key>}, and as metadata the format, the options (readable by {@link
   * #readOptions}), the step and the generator state.
   */
  public void save(Path file) throws IOException {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    for (Parameter p : student.parameters()) {
      tensors.put(STUDENT + p.name(), p.value());
    }
    for (Parameter p : teacher.parameters()) {
      tensors.put(TEACHER + p.name(), p.value());
    }
    tensors.put("center", center);
    optimizer.stateDict().forEach((key, v) -> tensors.put(OPTIM + key, v));
    Map<String, String> meta = new LinkedHashMap<>(DinoOptionsIo.toMetadata(options));
    meta.put("format", FORMAT);
    meta.put("step", Integer.toString(step));
    List<String> words = new ArrayList<>();
    for (long w : rng.getState()) {
      words.add(Long.toString(w));
    }
    meta.put("rng_state", String.join(",", words));
    Safetensors.write(file, tensors, meta);
  }

  /**
   * The options a checkpoint was written with.
   *
   * @throws IOException when the file is not a DINO checkpoint
   */
  public static Options readOptions(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    checkFormat(file, c);
    return DinoOptionsIo.fromMetadata(c.metadata());
  }

  /**
   * Restores what {@link #save} wrote into this trainer (built with the same options, the run
   * length aside: a resumed run may be given more steps).
   *
   * @throws IOException when the file is unreadable, is not a DINO checkpoint, was written for
   *     another architecture, or lacks a tensor
   */
  public void restore(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    checkFormat(file, c);
    Options saved = DinoOptionsIo.fromMetadata(c.metadata());
    if (!saved.vit().equals(options.vit())
        || saved.outDim() != options.outDim()
        || saved.hiddenDim() != options.hiddenDim()
        || saved.bottleneckDim() != options.bottleneckDim()) {
      throw new IOException(
          file
              + ": written for "
              + saved.vit()
              + " and head "
              + saved.hiddenDim()
              + "/"
              + saved.bottleneckDim()
              + "/"
              + saved.outDim()
              + ", this run is "
              + options.vit()
              + " and head "
              + options.hiddenDim()
              + "/"
              + options.bottleneckDim()
              + "/"
              + options.outDim());
    }
    load(file, c.tensors(), STUDENT, student);
    load(file, c.tensors(), TEACHER, teacher);
    center.copyFrom(require(file, c.tensors(), "center"));
    Map<String, Tensor> optim = new LinkedHashMap<>();
    c.tensors()
        .forEach(
            (key, v) -> {
              if (key.startsWith(OPTIM)) {
                optim.put(key.substring(OPTIM.length()), v);
              }
            });
    optimizer.loadStateDict(optim, studentParams);
    String[] words = c.metadata().get("rng_state").split(",");
    long[] s = new long[words.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = Long.parseLong(words[i]);
    }
    rng.setState(s);
    step = Integer.parseInt(c.metadata().get("step"));
  }

  /**
   * The teacher's backbone of a checkpoint, for feature extraction.
   *
   * @throws IOException when the file is not a DINO checkpoint
   */
  public static VisionTransformer loadTeacherBackbone(Path file) throws IOException {
    Safetensors.Contents c = Safetensors.read(file);
    checkFormat(file, c);
    Options o = DinoOptionsIo.fromMetadata(c.metadata());
    DinoNetwork net = network(o);
    load(file, c.tensors(), TEACHER, net);
    return net.backbone();
  }

  private static void checkFormat(Path file, Safetensors.Contents c) throws IOException {
    if (!FORMAT.equals(c.metadata().get("format"))) {
      throw new IOException(
          file + ": not a handgrad DINO checkpoint (format " + c.metadata().get("format") + ")");
    }
  }

  private static void load(Path file, Map<String, Tensor> tensors, String prefix, DinoNetwork net)
      throws IOException {
    for (Parameter p : net.parameters()) {
      p.assign(require(file, tensors, prefix + p.name()));
    }
  }

  private static Tensor require(Path file, Map<String, Tensor> tensors, String name)
      throws IOException {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IOException(file + ": no tensor " + name);
    }
    return t;
  }

  /** The dtype of the run. */
  public DType dtype() {
    return options.vit().dtype();
  }
}
