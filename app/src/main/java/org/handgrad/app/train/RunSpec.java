package org.handgrad.app.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.handgrad.data.SyntheticShapes;
import org.handgrad.models.Models;
import org.handgrad.nn.Model;
import org.handgrad.tensor.DType;
import org.handgrad.tensor.Shapes;

/**
 * Everything needed to rebuild a trained model and the data it saw: the registry name and config of
 * the model, the dataset and its split, the preprocessing fitted on the training split and the
 * augmentation. It travels inside every checkpoint (as the Solver's model config), so {@code eval},
 * {@code predict} and {@code train --resume} need nothing but the checkpoint.
 *
 * @param model registry name ({@link Models#names()})
 * @param modelArgs the registry config ({@link Models#create}), including input_shape, num_classes,
 *     dtype and seed
 * @param requestedDataset the dataset asked for on the command line
 * @param dataset the dataset actually used ("shapes" after a fallback)
 * @param shapes generation settings when the dataset is {@code shapes}, else null
 * @param numTrain training images
 * @param numVal validation images, the last ones of the official training split
 * @param classNames class names, index = label
 * @param inputShape (C, H, W) of one image
 * @param dtype float32 or float64, of the model and the data
 * @param preprocessing fitted on the training split
 * @param augment training-time augmentation, or null for none
 * @param seed the run's seed (model init, data order, augmentation)
 */
public record RunSpec(
    String model,
    Map<String, String> modelArgs,
    String requestedDataset,
    String dataset,
    SyntheticShapes.Config shapes,
    int numTrain,
    int numVal,
    List<String> classNames,
    int[] inputShape,
    DType dtype,
    Preprocessing preprocessing,
    AugmentedModel.Recipe augment,
    long seed) {

  /** Copies the collections. */
  public RunSpec {
    modelArgs = Map.copyOf(modelArgs);
    classNames = List.copyOf(classNames);
    inputShape = inputShape.clone();
  }

  /** (C, H, W) of one image (a copy). */
  @Override
  public int[] inputShape() {
    return inputShape.clone();
  }

  /**
   * The same run with some model settings replaced (e.g. {@code tta} for an evaluation).
   *
   * @param overrides registry keys of this model and their new values
   * @throws IllegalArgumentException for a key the model does not have
   */
  public RunSpec withModelArgs(Map<String, String> overrides) {
    Map<String, String> args = new LinkedHashMap<>(modelArgs);
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      if (!Models.keys(model).contains(e.getKey())) {
        throw new IllegalArgumentException(
            "model "
                + model
                + " has no setting '"
                + e.getKey()
                + "'; its settings: "
                + Models.keys(model));
      }
      args.put(e.getKey(), e.getValue());
    }
    return new RunSpec(
        model,
        args,
        requestedDataset,
        dataset,
        shapes,
        numTrain,
        numVal,
        classNames,
        inputShape,
        dtype,
        preprocessing,
        augment,
        seed);
  }

  /** A freshly initialised model (wrapped for augmentation when the run augments). */
  public Model buildModel() {
    Model m = Models.createModel(model, modelArgs);
    return augment == null ? m : new AugmentedModel(m, augment, seed ^ 0x5DEECE66DL);
  }

  /** The model itself, without the augmentation wrapper. */
  public static Model unwrap(Model m) {
    return m instanceof AugmentedModel a ? a.inner() : m;
  }

  /** As a JSON-ready map (the Solver's model config). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", model);
    m.put("model_args", new java.util.TreeMap<>(modelArgs));
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("requested", requestedDataset);
    data.put("dataset", dataset);
    if (shapes != null) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("num_train", shapes.numTrain());
      s.put("num_test", shapes.numTest());
      s.put("channels", shapes.channels());
      s.put("size", shapes.size());
      s.put("seed", shapes.seed());
      data.put("shapes", s);
    }
    data.put("num_train", numTrain);
    data.put("num_val", numVal);
    data.put("input_shape", Specs.list(inputShape));
    data.put("classes", classNames);
    m.put("data", data);
    m.put("dtype", dtype.numpyName());
    m.put("preprocessing", preprocessing.toMap());
    m.put("augment", augment == null ? null : augment.toMap());
    m.put("seed", seed);
    return m;
  }

  /**
   * Reads a map written by {@link #toMap()}.
   *
   * @throws IllegalArgumentException when a key is missing or has the wrong type
   */
  public static RunSpec fromMap(Map<?, ?> m) {
    try {
      Map<?, ?> data = Specs.map(Specs.required(m, "data"));
      SyntheticShapes.Config shapes = null;
      if (data.get("shapes") != null) {
        Map<?, ?> s = Specs.map(data.get("shapes"));
        shapes =
            new SyntheticShapes.Config(
                Specs.integer(s, "num_train"),
                Specs.integer(s, "num_test"),
                Specs.integer(s, "channels"),
                Specs.integer(s, "size"),
                ((Number) Specs.required(s, "seed")).longValue());
      }
      Object augment = m.get("augment");
      return new RunSpec(
          (String) Specs.required(m, "model"),
          Specs.stringMap(Specs.required(m, "model_args")),
          (String) Specs.required(data, "requested"),
          (String) Specs.required(data, "dataset"),
          shapes,
          Specs.integer(data, "num_train"),
          Specs.integer(data, "num_val"),
          Specs.strings(Specs.required(data, "classes")),
          Specs.intArray(Specs.required(data, "input_shape")),
          dtypeOf((String) Specs.required(m, "dtype")),
          Preprocessing.fromMap(Specs.map(Specs.required(m, "preprocessing"))),
          augment == null ? null : AugmentedModel.Recipe.fromMap(Specs.map(augment)),
          ((Number) Specs.required(m, "seed")).longValue());
    } catch (ClassCastException | ArithmeticException e) {
      throw new IllegalArgumentException("run spec: a value has the wrong type: " + e, e);
    }
  }

  /** Parses "float32" / "float64". */
  public static DType dtypeOf(String name) {
    return switch (name) {
      case "float32" -> DType.FLOAT32;
      case "float64" -> DType.FLOAT64;
      default ->
          throw new IllegalArgumentException(
              "dtype must be float32 or float64, got '" + name + "'");
    };
  }

  /** A one-line summary for logs. */
  public String describe() {
    return model
        + " on "
        + dataset
        + (dataset.equals(requestedDataset) ? "" : " (standing in for " + requestedDataset + ")")
        + " "
        + Shapes.str(inputShape)
        + ", "
        + numTrain
        + " train / "
        + numVal
        + " val images, "
        + dtype.numpyName()
        + ", preprocessing "
        + preprocessing.kind().key()
        + (augment == null ? "" : ", augment: " + augment);
  }
}
