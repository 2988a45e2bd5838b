package org.handgrad.app;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of {@code ./handgrad train}, grouped as its help shows them. */
final class TrainOptions {
  private TrainOptions() {}

  /** Which model, and its settings. */
  static final class ModelOptions {
    @Option(
        names = "--model",
        paramLabel = "NAME",
        description =
            "knn, svm, softmax, two-layer, fc, cnn, bn-cnn, vit, resnet-small, resnet18 or speedrun"
                + " (required unless --resume).")
    String model;

    @Option(
        names = "--hidden-dims",
        paramLabel = "N",
        split = ",",
        description = "Hidden layer sizes: fc (any number), two-layer/cnn/bn-cnn (one).")
    List<Integer> hiddenDims;

    @Option(
        names = "--normalization",
        paramLabel = "KIND",
        description = "fc: none, batchnorm or layernorm.")
    String normalization;

    @Option(
        names = "--dropout",
        paramLabel = "P",
        description =
            "fc, bn-cnn: dropout KEEP probability in (0, 1], 1 = off (CS231n; PyTorch's p is"
                + " 1 - P).")
    Double dropout;

    @Option(names = "--reg", paramLabel = "R", description = "L2 regularization strength.")
    Double reg;

    @Option(
        names = "--weight-scale",
        paramLabel = "S",
        description = "Std of the initial weights (not bn-cnn, which uses He init).")
    Double weightScale;

    @Option(
        names = "--tta",
        paramLabel = "KIND",
        description =
            "speedrun: test-time augmentation, none or flip (mean of the scores of each image and"
                + " its mirror) in every evaluation (default: none).")
    String tta;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description =
            "Any other model setting of the registry, e.g. --set num_filters=64 --set"
                + " widths=32,64 (see docs/conventions.md, models).")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(
        names = "--dtype",
        paramLabel = "TYPE",
        defaultValue = "float32",
        description = "float32 or float64 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(
        names = "--seed",
        paramLabel = "N",
        defaultValue = "0",
        description =
            "Seeds weights, data order, dropout, augmentation (default: ${DEFAULT-VALUE}).")
    long seed;
  }

  /** Which data. */
  static final class DataOptions {
    @Option(
        names = "--data",
        paramLabel = "NAME",
        defaultValue = "fashion-mnist",
        description = "fashion-mnist, mnist, cifar10 or shapes (default: ${DEFAULT-VALUE}).")
    String data;

    @Option(
        names = "--data-dir",
        paramLabel = "DIR",
        description = "Data folder (default: $HANDGRAD_DATA, else ~/.handgrad/data).")
    Path dataDir;

    @Option(
        names = "--mirror",
        paramLabel = "URL",
        description = "Base URL to download a missing dataset from instead of the official one.")
    URI mirror;

    @Option(names = "--no-fetch", description = "Never download; use local copies only.")
    boolean noFetch;

    @Option(
        names = "--no-fallback",
        description = "Fail instead of falling back to the built-in shapes dataset.")
    boolean noFallback;

    @Option(
        names = "--num-train",
        paramLabel = "N",
        description = "Train on the first N training images (default: all but validation).")
    Integer numTrain;

    @Option(
        names = "--num-val",
        paramLabel = "N",
        description =
            "Validation images, the last N of the training split (default: 10%%, at most 5000).")
    Integer numVal;

    @Option(
        names = "--num-test",
        paramLabel = "N",
        description = "Test on the first N test images (default: all).")
    Integer numTest;

    @Option(
        names = "--augment",
        description =
            "Random crops (pad 2 at 28x28, 4 at 32x32) and horizontal flips (not for mnist).")
    boolean augment;

    @Option(
        names = "--crop-pad",
        paramLabel = "N",
        description = "With --augment: the crop padding (0 = no crops).")
    Integer cropPad;

    @Option(names = "--no-flip", description = "With --augment: no horizontal flips.")
    boolean noFlip;

    @Option(
        names = "--random-erasing",
        paramLabel = "P",
        description =
            "Random erasing (Zhong et al. 2017, torchvision's RandomErasing): with probability P"
                + " a rectangle of 2-33%% of each training image is set to the mean (default: off).")
    Double randomErasing;
  }

  /** How to optimize. */
  static final class SolverOptions {
    @Option(
        names = "--epochs",
        paramLabel = "N",
        defaultValue = "10",
        description = "Epochs (default: ${DEFAULT-VALUE}; with --resume: train up to N in total).")
    int epochs;

    @Option(
        names = "--batch-size",
        paramLabel = "N",
        defaultValue = "100",
        description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
        names = "--optimizer",
        paramLabel = "RULE",
        defaultValue = "adam",
        description =
            "sgd, sgd_momentum, nesterov, rmsprop, adam or adamw (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(
        names = "--lr",
        paramLabel = "LR",
        description = "Learning rate (default: the rule's CS231n default, adam 1e-3, sgd 1e-2).")
    Double lr;

    @Option(
        names = "--lr-decay",
        paramLabel = "F",
        defaultValue = "1.0",
        description =
            "Multiply the learning rate by F after each epoch (default: ${DEFAULT-VALUE}).")
    double lrDecay;

    @Option(
        names = "--schedule",
        paramLabel = "KIND",
        description =
            "cosine: anneal the learning rate to 0 over the run, per iteration (with --warmup);"
                + " onecycle: PyTorch's OneCycleLR with --lr as the peak (see --pct-start,"
                + " --div-factor, --final-div-factor).")
    String schedule;

    @Option(
        names = "--pct-start",
        paramLabel = "F",
        defaultValue = "0.3",
        description = "onecycle: fraction of the run spent climbing (default: ${DEFAULT-VALUE}).")
    double pctStart;

    @Option(
        names = "--div-factor",
        paramLabel = "F",
        defaultValue = "25",
        description = "onecycle: the first rate is --lr / F (default: ${DEFAULT-VALUE}).")
    double divFactor;

    @Option(
        names = "--final-div-factor",
        paramLabel = "F",
        defaultValue = "10000",
        description = "onecycle: the last rate is the first one / F (default: ${DEFAULT-VALUE}).")
    double finalDivFactor;

    @Option(
        names = "--warmup",
        paramLabel = "N",
        defaultValue = "0",
        description = "Linear learning-rate warm-up over the first N iterations.")
    int warmup;

    @Option(names = "--momentum", paramLabel = "M", description = "sgd_momentum, nesterov.")
    Double momentum;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "adamw: decoupled decay.")
    Double weightDecay;

    @Option(
        names = "--grad-clip",
        paramLabel = "NORM",
        defaultValue = "0",
        description = "Clip the global gradient norm to NORM (0 = off).")
    double gradClip;

    @Option(
        names = "--label-smoothing",
        paramLabel = "EPS",
        description =
            "Train on smoothed targets, (1 - EPS) one-hot + EPS / classes (PyTorch's"
                + " cross_entropy(label_smoothing=EPS)); tape-built models: vit, resnet-small,"
                + " resnet18, speedrun (default: off).")
    Double labelSmoothing;

    @Option(
        names = "--ema",
        paramLabel = "DECAY",
        description =
            "Keep an exponential moving average of the weights (and BatchNorm statistics) with"
                + " this decay, e.g. 0.999; evaluate, keep and checkpoint the averaged weights"
                + " (default: off).")
    Double ema;

    @Option(
        names = "--num-train-samples",
        paramLabel = "N",
        defaultValue = "1000",
        description =
            "Training images sampled for each accuracy check (default: ${DEFAULT-VALUE}).")
    int numTrainSamples;
  }

  /** kNN only. */
  static final class KnnOptions {
    @Option(
        names = "--k-choices",
        paramLabel = "K",
        split = ",",
        description = "kNN: candidate k (default: 1,3,5,8,10,12,15,20,50,100, CS231n's).")
    List<Integer> kChoices;

    @Option(
        names = "--folds",
        paramLabel = "N",
        defaultValue = "5",
        description = "kNN: cross-validation folds (default: ${DEFAULT-VALUE}).")
    int folds;
  }

  /** Where results go, resuming. */
  static final class RunOptions {
    @Option(
        names = "--run-dir",
        paramLabel = "DIR",
        defaultValue = "runs",
        description = "Folder for run folders (default: ${DEFAULT-VALUE}).")
    Path runDir;

    @Option(
        names = "--name",
        paramLabel = "NAME",
        description = "Run name (default: MODEL-DATA); the folder adds a timestamp.")
    String name;

    @Option(
        names = "--resume",
        paramLabel = "CHECKPOINT",
        description =
            "Continue a run from a checkpoint (.json, its folder or the run folder); model, data"
                + " and optimizer settings come from the checkpoint.")
    Path resume;

    @Option(
        names = "--checkpoint-every",
        paramLabel = "N",
        defaultValue = "0",
        description = "Also checkpoint every N iterations (default: at each epoch end only).")
    int checkpointEvery;

    @Option(
        names = "--keep-checkpoints",
        paramLabel = "N",
        defaultValue = "2",
        description = "Keep the newest N checkpoints (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(
        names = "--log-every",
        paramLabel = "N",
        defaultValue = "10",
        description = "Iterations per metrics.jsonl summary line (default: ${DEFAULT-VALUE}).")
    int logEvery;

    @Option(
        names = "--stop-on-divergence",
        description =
            "Stop (exit 3) when training looks diverged though finite: the loss far above its"
                + " initial value, or accuracy at chance (default: warn and go on).")
    boolean stopOnDivergence;
  }
}
