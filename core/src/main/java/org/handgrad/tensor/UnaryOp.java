package org.handgrad.tensor;

/** The elementwise unary operations, with their scalar definition. */
enum UnaryOp {
  NEG("neg", true),
  EXP("exp", false),
  LOG("log", false),
  SQRT("sqrt", false),
  SQUARE("square", true),
  TANH("tanh", false),
  SIGMOID("sigmoid", false),
  RELU("relu", true),
  ABS("abs", true),
  SIGN("sign", true),
  ERF("erf", false);

  /** Name used in error messages. */
  final String label;

  /** True when an int32 input gives an int32 result (otherwise float64, as NumPy). */
  final boolean keepsInt;

  UnaryOp(String label, boolean keepsInt) {
    this.label = label;
    this.keepsInt = keepsInt;
  }

  double apply(double x) {
    return switch (this) {
      case NEG -> -x;
      case EXP -> Math.exp(x);
      case LOG -> Math.log(x);
      case SQRT -> Math.sqrt(x);
      case SQUARE -> x * x;
      case TANH -> Math.tanh(x);
      case SIGMOID -> SpecialFunctions.sigmoid(x);
      case RELU -> Math.max(x, 0);
      case ABS -> Math.abs(x);
      case SIGN -> Math.signum(x);
      case ERF -> SpecialFunctions.erf(x);
    };
  }
}
