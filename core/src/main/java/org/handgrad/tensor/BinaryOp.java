package org.handgrad.tensor;

/** The elementwise binary operations, with their scalar definition (the slow-path reference). */
enum BinaryOp {
  ADD("add"),
  SUB("sub"),
  MUL("mul"),
  DIV("div"),
  POW("pow"),
  MAXIMUM("maximum"),
  MINIMUM("minimum"),
  EQ("eq"),
  NE("ne"),
  LT("lt"),
  LE("le"),
  GT("gt"),
  GE("ge");

  /** Name used in error messages (the public method name). */
  final String label;

  BinaryOp(String label) {
    this.label = label;
  }

  /** True for the comparisons, which produce 1/0 masks. */
  boolean isComparison() {
    return ordinal() >= EQ.ordinal();
  }

  /**
   * The operation on doubles. For float32 inputs the double result rounded to float equals the
   * float computation for +, -, *, / (double has more than twice float's precision), so the fast
   * float loops and this definition agree bit for bit.
   */
  double apply(double x, double y) {
    return switch (this) {
      case ADD -> x + y;
      case SUB -> x - y;
      case MUL -> x * y;
      case DIV -> x / y;
      case POW -> Math.pow(x, y);
      case MAXIMUM -> Math.max(x, y);
      case MINIMUM -> Math.min(x, y);
      case EQ -> x == y ? 1 : 0;
      case NE -> x != y ? 1 : 0;
      case LT -> x < y ? 1 : 0;
      case LE -> x <= y ? 1 : 0;
      case GT -> x > y ? 1 : 0;
      case GE -> x >= y ? 1 : 0;
    };
  }
}
