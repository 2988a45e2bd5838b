package org.handgrad.models.ssl.dino;

import java.util.List;
import org.handgrad.nn.Parameter;
import org.handgrad.tensor.Tensor;

/**
 * The parts of DINO that are not gradients (Caron et al. 2021, Algorithm 1 and section 3.1): the
 * teacher's exponential moving average of the student, the centre's moving average of the teacher
 * outputs, and the three schedules (teacher momentum, teacher temperature, learning rate).
 *
 * <pre>
 *   teacher  theta_t = m theta_t + (1 - m) theta_s,   m from 0.996 to 1 by a cosine
 *   centre   c = mc c + (1 - mc) mean over the batch of the teacher outputs,   mc = 0.9
 *   tau_t    linear from 0.04 to 0.07 over the warm-up, then 0.07
 *   lr       linear warm-up to the peak, then a cosine to the minimum
 * </pre>
 */
public final class DinoUpdates {
  private DinoUpdates() {}

  /**
   * The EMA update of the teacher, in place: {@code t = m t + (1 - m) s} for each pair of
   * parameters (same order, same names).
   *
   * @param teacher the teacher's parameters
   * @param student the student's parameters, matching the teacher's one to one
   * @param momentum m in [0, 1]
   * @throws IllegalArgumentException when the lists do not match or m is outside [0, 1]
   */
  public static void emaUpdate(List<Parameter> teacher, List<Parameter> student, double momentum) {
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("emaUpdate: momentum must be in [0, 1], got " + momentum);
    }
    if (teacher.size() != student.size()) {
      throw new IllegalArgumentException(
          "emaUpdate: teacher has " + teacher.size() + " parameters, student " + student.size());
    }
    for (int i = 0; i < teacher.size(); i++) {
      Parameter t = teacher.get(i);
      Parameter s = student.get(i);
      if (!t.name().equals(s.name()) || !java.util.Arrays.equals(t.shape(), s.shape())) {
        throw new IllegalArgumentException(
            "emaUpdate: teacher parameter "
                + t.name()
                + " "
                + java.util.Arrays.toString(t.shape())
                + " does not match student "
                + s.name()
                + " "
                + java.util.Arrays.toString(s.shape()));
      }
      t.value().muli(momentum).addScaledi(1 - momentum, s.value());
    }
  }

  /**
   * The centre update, in place: {@code c = m c + (1 - m) mean_rows(teacher)}.
   *
   * @param center shape (K,)
   * @param teacher teacher outputs of the batch (all global views), shape (R, K)
   * @param momentum m in [0, 1] (0.9 in the paper)
   */
  public static void updateCenter(Tensor center, Tensor teacher, double momentum) {
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException(
          "updateCenter: momentum must be in [0, 1], got " + momentum);
    }
    if (teacher.ndim() != 2 || center.ndim() != 1 || teacher.shape(1) != center.shape(0)) {
      throw new IllegalArgumentException(
          "updateCenter: expected teacher (R, K) and center (K,), got "
              + teacher.shapeString()
              + " and "
              + center.shapeString());
    }
    Tensor mean = teacher.mean(0).to(center.dtype());
    center.muli(momentum).addScaledi(1 - momentum, mean);
  }

  /**
   * Teacher momentum at a step: {@code 1 - (1 - base) (cos(pi step / total) + 1) / 2}, base at step
   * 0 and 1 at the last step (DINO's {@code cosine_scheduler(0.996, 1, ...)}).
   *
   * @param step current step, 0 .. total
   * @param total number of steps of the run, &gt;= 1
   * @param base the starting momentum (0.996)
   */
  public static double teacherMomentum(long step, long total, double base) {
    checkStep("teacherMomentum", step, total);
    return 1 - (1 - base) * (Math.cos(Math.PI * step / total) + 1) / 2;
  }

  /**
   * Teacher temperature at a step: linear from {@code start} to {@code end} over {@code warmup}
   * steps, then {@code end}.
   *
   * @param step current step, &gt;= 0
   * @param warmup warm-up steps, &gt;= 0
   * @param start temperature at step 0 (0.04)
   * @param end temperature after the warm-up (0.07)
   */
  public static double teacherTemperature(long step, long warmup, double start, double end) {
    if (step < 0 || warmup < 0) {
      throw new IllegalArgumentException(
          "teacherTemperature: step and warmup must be >= 0, got " + step + ", " + warmup);
    }
    if (step >= warmup) {
      return end;
    }
    return start + (end - start) * step / warmup;
  }

  /**
   * Learning rate at a step: {@code peak (step + 1) / warmup} during the warm-up, then a cosine
   * from {@code peak} to {@code min} over the remaining steps.
   *
   * @param step current step, 0 .. total
   * @param total steps of the run, &gt;= 1
   * @param warmup warm-up steps, 0 .. total
   * @param peak the largest rate
   * @param min the final rate
   */
  public static double learningRate(long step, long total, long warmup, double peak, double min) {
    checkStep("learningRate", step, total);
    if (warmup < 0 || warmup > total) {
      throw new IllegalArgumentException(
          "learningRate: warmup must be in [0, " + total + "], got " + warmup);
    }
    if (step < warmup) {
      return peak * (step + 1) / warmup;
    }
    long span = Math.max(1, total - warmup);
    double t = Math.min(1.0, (double) (step - warmup) / span);
    return min + (peak - min) * (1 + Math.cos(Math.PI * t)) / 2;
  }

  private static void checkStep(String op, long step, long total) {
    if (total < 1 || step < 0 || step > total) {
      throw new IllegalArgumentException(
          op + ": need 0 <= step <= total and total >= 1, got step " + step + ", total " + total);
    }
  }
}
