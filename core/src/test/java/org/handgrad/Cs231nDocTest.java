package org.handgrad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Keeps docs/cs231n.md true as the code moves: every Java reference in the "handgrad" column of its
 * tables must name a public class, nested class, method, field or constructor that exists, with the
 * number of arguments written (when written). Rows whose handgrad cell says "planned (issue N)" are
 * exempt; code spans starting with {@code ./handgrad} are command lines, not Java.
 *
 * <p>Classes of this module are checked by reflection on {@code target/classes}; classes of the
 * other modules (the {@code coco} reader, the app) by their source files, since this module cannot
 * load them.
 */
class Cs231nDocTest {
  private static final Pattern SPAN = Pattern.compile("`([^`]+)`");
  private static final Pattern REFERENCE =
      Pattern.compile(
          "(new\\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)(\\((.*)\\))?");
  private static final Pattern PRIMITIVE =
      Pattern.compile("(int|long|double|float|boolean|byte|short|char)(\\[\\])*");
  private static final Pattern PLANNED = Pattern.compile("planned \\(issue (\\d+)\\)");

  /** What a check of one document found. */
  record Report(List<String> problems, int checked, int planned) {}

  @Test
  void everyHandgradNameInTheDocExists() throws IOException {
    Report r = check(Files.readString(moduleDir().resolve("../docs/cs231n.md")));
    assertEquals(List.of(), r.problems(), "docs/cs231n.md names things that do not exist");
    // The parser must have found the tables: a broken parser checks nothing and passes.
    assertTrue(r.checked() >= 150, "only " + r.checked() + " references checked");
    // Planned rows disappear as their issues land (SimCLR's four did); a few remain to show the
    // exemption is parsed, and theCheckerCatchesWrongNames tests it on its own.
    assertTrue(r.planned() >= 5, "only " + r.planned() + " planned rows");
  }

  /** The checker itself: it must catch a wrong name, a wrong arity and an unknown class. */
  @Test
  void theCheckerCatchesWrongNames() {
    String doc =
        String.join(
            "\n",
            "| CS231n | handgrad | differences |",
            "|---|---|---|",
            "| `a` | `Affine.affineForward(x, w, b)` | `NotChecked.atAll` |",
            "| `b` | `Affine.affineForwardd(x, w, b)` | |",
            "| `c` | `Affine.affineForward(x, w)` | |",
            "| `d` | `NoSuchClass.method` | |",
            "| `e` | `new nn.modules.LayerNorm(normalizedShape, dtype)`, `./handgrad train` | |",
            "| `f` | `BatchNormParam.Mode.TEST`, `Lstm.StepForward.nextC()` | |",
            "| `g` | `LayerNorm.layernormForward` | |",
            "| `h` | planned (issue 9), `Whatever.notChecked` | |",
            "| `i` | `CocoCaptions.load(dir, options)`, `CocoCaptions.missing(dir)` | |",
            "| `j` | `x + y` | |",
            "");
    Report r = check(doc);
    assertEquals(
        List.of(
            "line 4: `Affine.affineForwardd(x, w, b)`: org.handgrad.nn.functional.Affine has no"
                + " public member 'affineForwardd' taking 3 arguments",
            "line 5: `Affine.affineForward(x, w)`: org.handgrad.nn.functional.Affine has no public"
                + " member 'affineForward' taking 2 arguments",
            "line 6: `NoSuchClass.method`: no class NoSuchClass",
            "line 9: `LayerNorm.layernormForward`: 'LayerNorm' is ambiguous: "
                + "[org.handgrad.nn.functional.LayerNorm, org.handgrad.nn.modules.LayerNorm];"
                + " qualify it (e.g. nn.modules.LayerNorm)",
            "line 11: `CocoCaptions.missing(dir)`: no public 'missing' in the source of"
                + " CocoCaptions",
            "line 12: `x + y`: not a Java reference"),
        r.problems());
    assertEquals(1, r.planned());
    assertEquals(11, r.checked());
  }

  // ---------------------------------------------------------------- the checker

  static Report check(String markdown) {
    Index index = Index.load();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    int planned = 0;
    String[] lines = markdown.split("\n", -1);
    int column = -1; // index of the handgrad column in the current table, -1 outside tables
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (!line.startsWith("|")) {
        column = -1;
        continue;
      }
      List<String> cells = cells(line);
      if (column < 0) {
        column = cells.indexOf("handgrad");
        continue; // a header (or a table without a handgrad column: column stays -1)
      }
      if (line.startsWith("|---") || column >= cells.size()) {
        continue;
      }
      String cell = cells.get(column);
      if (PLANNED.matcher(cell).find()) {
        planned++;
        continue;
      }
      Matcher spans = SPAN.matcher(cell);
      while (spans.find()) {
        String span = spans.group(1).strip();
        if (span.startsWith("./handgrad") || PRIMITIVE.matcher(span).matches()) {
          continue;
        }
        checked++;
        String problem = index.resolve(span);
        if (problem != null) {
          problems.add("line " + (i + 1) + ": `" + span + "`: " + problem);
        }
      }
    }
    return new Report(problems, checked, planned);
  }

  /** The cells of a table row, split at '|' outside code spans. */
  private static List<String> cells(String row) {
    List<String> out = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean code = false;
    for (int i = 1; i < row.length(); i++) {
      char c = row.charAt(i);
      if (c == '`') {
        code = !code;
      }
      if (c == '|' && !code && row.charAt(i - 1) != '\\') {
        out.add(cell.toString().strip());
        cell.setLength(0);
      } else {
        cell.append(c);
      }
    }
    return out;
  }

  /** Number of top-level comma-separated arguments, or -1 when not written or elided ("..."). */
  private static int arity(String args) {
    if (args == null || args.contains("...")) {
      return -1;
    }
    if (args.isBlank()) {
      return 0;
    }
    int depth = 0;
    int n = 1;
    for (char c : args.toCharArray()) {
      if (c == '(' || c == '[' || c == '{' || c == '<') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}' || c == '>') {
        depth--;
      } else if (c == ',' && depth == 0) {
        n++;
      }
    }
    return n;
  }

  private static Path moduleDir() {
    return Path.of("").toAbsolutePath();
  }

  /** Top-level classes of this module (loadable) and of the sibling modules (source only). */
  private record Index(Map<String, List<String>> compiled, Map<String, Path> sources) {
    private static Index cached;

    static synchronized Index load() {
      if (cached == null) {
        cached = new Index(compiledClasses(), sourceFiles());
      }
      return cached;
    }

    private static Map<String, List<String>> compiledClasses() {
      Path root = moduleDir().resolve("target/classes");
      Map<String, List<String>> bySimpleName = new HashMap<>();
      try (Stream<Path> files = Files.walk(root)) {
        files
            .map(p -> root.relativize(p).toString().replace('\\', '/'))
            .filter(p -> p.endsWith(".class") && !p.contains("$") && !p.endsWith("-info.class"))
            .map(p -> p.substring(0, p.length() - ".class".length()).replace('/', '.'))
            .forEach(
                fqn ->
                    bySimpleName
                        .computeIfAbsent(
                            fqn.substring(fqn.lastIndexOf('.') + 1), k -> new ArrayList<>())
                        .add(fqn));
      } catch (IOException e) {
        throw new UncheckedIOException("compile the module first: " + root, e);
      }
      bySimpleName.values().forEach(l -> l.sort(null));
      return bySimpleName;
    }

    private static Map<String, Path> sourceFiles() {
      Map<String, Path> out = new HashMap<>();
      for (String module : List.of("coco", "app")) {
        Path src = moduleDir().resolve("../" + module + "/src/main/java");
        if (!Files.isDirectory(src)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(src)) {
          files
              .filter(p -> p.toString().endsWith(".java"))
              .forEach(p -> out.put(p.getFileName().toString().replace(".java", ""), p));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return out;
    }

    /** Null when the reference resolves, otherwise what is wrong. */
    String resolve(String span) {
      Matcher m = REFERENCE.matcher(span);
      if (!m.matches()) {
        return "not a Java reference";
      }
      boolean constructor = m.group(1) != null;
      String[] parts = m.group(2).split("\\.");
      int arity = m.group(3) == null ? -1 : arity(m.group(4));
      int first = 0;
      while (first < parts.length && Character.isLowerCase(parts[first].charAt(0))) {
        first++;
      }
      if (first == parts.length) {
        return "no class in the reference (qualify a method with its class)";
      }
      String pkg = String.join(".", List.of(parts).subList(0, first));
      String simple = parts[first];
      List<String> candidates = new ArrayList<>();
      for (String fqn : compiled.getOrDefault(simple, List.of())) {
        if (pkg.isEmpty() || fqn.endsWith("." + pkg + "." + simple)) {
          candidates.add(fqn);
        }
      }
      if (candidates.isEmpty()) {
        Path source = pkg.isEmpty() ? sources.get(simple) : null;
        return source == null ? "no class " + simple : resolveInSource(source, parts, first);
      }
      if (candidates.size() > 1) {
        String last = candidates.get(candidates.size() - 1);
        String parent = last.substring(0, last.lastIndexOf('.'));
        return "'"
            + simple
            + "' is ambiguous: "
            + candidates
            + "; qualify it (e.g. "
            + parent.substring(parent.lastIndexOf('.', parent.lastIndexOf('.') - 1) + 1)
            + "."
            + simple
            + ")";
      }
      Class<?> c;
      try {
        c = Class.forName(candidates.get(0), false, getClass().getClassLoader());
      } catch (ClassNotFoundException e) {
        return "cannot load " + candidates.get(0);
      }
      for (int i = first + 1; i < parts.length; i++) {
        Class<?> nested = nested(c, parts[i]);
        if (nested != null) {
          c = nested;
        } else if (i == parts.length - 1 && !constructor) {
          return member(c, parts[i], arity);
        } else {
          return c.getName() + " has no public nested class " + parts[i];
        }
      }
      if (constructor) {
        for (Constructor<?> k : c.getConstructors()) {
          if (fits(k, arity)) {
            return null;
          }
        }
        return c.getName() + " has no public constructor taking " + arity + " arguments";
      }
      return arity < 0 ? null : c.getName() + " is a class, not a method";
    }

    private static Class<?> nested(Class<?> c, String name) {
      for (Class<?> n : c.getClasses()) {
        if (n.getSimpleName().equals(name)) {
          return n;
        }
      }
      return null;
    }

    private static String member(Class<?> c, String name, int arity) {
      for (Method m : c.getMethods()) {
        if (m.getName().equals(name) && fits(m, arity)) {
          return null;
        }
      }
      if (arity < 0) {
        for (Field f : c.getFields()) {
          if (f.getName().equals(name) && Modifier.isPublic(f.getModifiers())) {
            return null;
          }
        }
      }
      return c.getName()
          + " has no public member '"
          + name
          + "'"
          + (arity < 0 ? "" : " taking " + arity + " arguments");
    }

    private static boolean fits(Executable e, int arity) {
      int n = e.getParameterCount();
      return arity < 0 || n == arity || (e.isVarArgs() && arity >= n - 1);
    }

    /** Classes outside this module: the class file must exist and declare the member publicly. */
    private static String resolveInSource(Path source, String[] parts, int first) {
      if (parts.length == first + 1) {
        return null;
      }
      String name = parts[parts.length - 1];
      String text;
      try {
        text = Files.readString(source);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Pattern declared = Pattern.compile("public[^;={]*\\b" + Pattern.quote(name) + "\\b\\s*[(;=]");
      return declared.matcher(text).find()
          ? null
          : "no public '" + name + "' in the source of " + parts[first];
    }
  }
}
