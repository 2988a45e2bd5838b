package org.handgrad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the code links of the learning pages true as the code moves. Every markdown link from a
 * page of docs/learn/ to a {@code .java} file must name an existing file; a link with a line anchor
 * ({@code File.java#L123}) must have a code-span text naming a Java member ({@code
 * `BatchNorm.batchnormBackwardAlt`}), and the anchored line must declare that member: the member's
 * name followed by {@code (} on a line that is not a comment, a call or an assignment. The first
 * segment of the name must be the file's class or a type declared in the file. A method that moves
 * therefore fails the build until its links are updated.
 */
class LearnDocLinksTest {
  /** {@code [text](target.java)} or {@code [text](target.java#L12)}, relative targets only. */
  private static final Pattern LINK =
      Pattern.compile("\\[([^\\[\\]]+)\\]\\(([^)\\s#:]+\\.java)(?:#L(\\d+))?\\)");

  private static final Pattern NAME =
      Pattern.compile("`([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)(?:\\(\\))?`");

  /** What a check of a set of pages found. */
  record Report(List<String> problems, int anchored, int plain) {}

  @Test
  void everyCodeLinkOfTheLearningPagesPointsAtItsMember() throws IOException {
    Path dir = moduleDir().resolve("../docs/learn").normalize();
    List<Path> pages;
    try (Stream<Path> files = Files.list(dir)) {
      pages = files.filter(p -> p.toString().endsWith(".md")).sorted().toList();
    }
    List<String> problems = new ArrayList<>();
    int anchored = 0;
    int derivePages = 0;
    for (Path page : pages) {
      Report r = check(page, Files.readString(page));
      problems.addAll(r.problems());
      anchored += r.anchored();
      if (page.getFileName().toString().startsWith("derive-")) {
        derivePages++;
        // A derivation page links each final equation to its code: a page whose links the parser
        // cannot see would pass with nothing checked.
        assertTrue(r.anchored() >= 5, page.getFileName() + ": only " + r.anchored() + " links");
      }
    }
    assertEquals(List.of(), problems, "docs/learn links that do not point at their member");
    assertTrue(derivePages >= 6, "expected a derivation page per stage, found " + derivePages);
    assertTrue(anchored >= 100, "only " + anchored + " anchored links checked");
  }

  /**
   * The checker itself, on a small tree of its own: good links pass, each kind of bad one fails.
   */
  @Test
  void theCheckerCatchesLinksThatNoLongerPointAtTheirMember(@TempDir Path root) throws IOException {
    Path src = root.resolve("core/src/main/java/org/example");
    Files.createDirectories(src);
    Files.writeString(
        src.resolve("Foo.java"),
        String.join(
            "\n",
            "package org.example;", // 1
            "", // 2
            "/** Calls {@link #bar(int)}. */", // 3
            "public final class Foo {", // 4
            "  public static int bar(int x) {", // 5
            "    return baz(x) + 1;", // 6
            "  }", // 7
            "", // 8
            "  static Forward<Foo.Cache> baz(", // 9
            "      int x) {", // 10
            "    int y = bar(x);", // 11
            "    bar(y);", // 12
            "    throw new IllegalStateException(", // 13
            "        \"call bar(x) first\");", // 14
            "  }", // 15
            "", // 16
            "  public record Cache(int x) {}", // 17
            "}",
            ""));
    Path page = root.resolve("docs/learn/page.md");
    Files.createDirectories(page.getParent());
    String dir = "](../../core/src/main/java/org/example/";
    String foo = dir + "Foo.java#L"; // "[`Foo.bar`" + foo + "5)" links Foo.java, line 5
    String doc =
        String.join(
            "\n",
            "Good: y in [0, C) [`Foo.bar`" + foo + "5), [`Foo.baz()`" + foo + "9),",
            "[`Foo.Cache`" + foo + "17), [the file" + dir + "Foo.java),",
            "and a web link [x](https://example.org/A.java#L3) is not ours.",
            "Moved: [`Foo.bar`" + foo + "6)", // a call of baz, not bar
            "Calls: [`Foo.bar`" + foo + "11) [`Foo.bar`" + foo + "12)",
            "Comment and string: [`Foo.bar`" + foo + "3), [`Foo.bar`" + foo + "14)",
            "Past the end: [`Foo.bar`" + foo + "99)",
            "Wrong class: [`Bar.bar`" + foo + "5)",
            "No name: [bar" + foo + "5)",
            "No file: [`Gone.bar`" + dir + "Gone.java#L5)",
            "");
    Report r = check(page, doc);
    assertEquals(
        List.of(
            "page.md:4: [`Foo.bar`](Foo.java#L6): line 6 does not declare 'bar': "
                + "return baz(x) + 1;",
            "page.md:5: [`Foo.bar`](Foo.java#L11): line 11 does not declare 'bar': "
                + "int y = bar(x);",
            "page.md:5: [`Foo.bar`](Foo.java#L12): line 12 does not declare 'bar': bar(y);",
            "page.md:6: [`Foo.bar`](Foo.java#L3): line 3 does not declare 'bar': "
                + "/** Calls {@link #bar(int)}. */",
            "page.md:6: [`Foo.bar`](Foo.java#L14): line 14 does not declare 'bar': "
                + "\"call bar(x) first\");",
            "page.md:7: [`Foo.bar`](Foo.java#L99): the file has 18 lines",
            "page.md:8: [`Bar.bar`](Foo.java#L5): 'Bar' is neither the file's class nor declared"
                + " in it",
            "page.md:9: [bar](Foo.java#L5): an anchored link needs a code-span name such as"
                + " `Class.method`",
            "page.md:10: [`Gone.bar`](Gone.java#L5): no such file"),
        r.problems());
    assertEquals(12, r.anchored());
    assertEquals(1, r.plain());
  }

  // ---------------------------------------------------------------- the checker

  static Report check(Path page, String markdown) {
    List<String> problems = new ArrayList<>();
    int anchored = 0;
    int plain = 0;
    String[] lines = markdown.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher m = LINK.matcher(lines[i]);
      while (m.find()) {
        String text = m.group(1);
        Path target = page.getParent().resolve(m.group(2)).normalize();
        String where =
            page.getFileName()
                + ":"
                + (i + 1)
                + ": ["
                + text
                + "]("
                + target.getFileName()
                + (m.group(3) == null ? "" : "#L" + m.group(3))
                + "): ";
        if (m.group(3) == null) {
          plain++;
        } else {
          anchored++;
        }
        String problem = checkLink(text, target, m.group(3));
        if (problem != null) {
          problems.add(where + problem);
        }
      }
    }
    return new Report(problems, anchored, plain);
  }

  /** Null when the link is true, otherwise what is wrong with it. */
  private static String checkLink(String text, Path target, String anchor) {
    if (!Files.isRegularFile(target)) {
      return "no such file";
    }
    if (anchor == null) {
      return null;
    }
    Matcher name = NAME.matcher(text.strip());
    if (!name.matches()) {
      return "an anchored link needs a code-span name such as `Class.method`";
    }
    String[] parts = name.group(1).split("\\.");
    List<String> source = readLines(target);
    String fileClass = target.getFileName().toString().replace(".java", "");
    if (parts.length > 1 && !parts[0].equals(fileClass) && !declaresType(source, parts[0])) {
      return "'" + parts[0] + "' is neither the file's class nor declared in it";
    }
    int line = Integer.parseInt(anchor);
    if (line < 1 || line > source.size()) {
      return "the file has " + source.size() + " lines";
    }
    String member = parts[parts.length - 1];
    String code = source.get(line - 1).strip();
    return declares(code, member)
        ? null
        : "line " + line + " does not declare '" + member + "': " + code;
  }

  /**
   * Whether a source line declares {@code member}: a method or constructor (a type or modifier,
   * then the name and an opening parenthesis, with no '=', '(', quote or statement keyword before
   * it) or a type.
   */
  static boolean declares(String code, String member) {
    if (code.startsWith("*") || code.startsWith("/") || code.startsWith("@")) {
      return false;
    }
    if (Pattern.compile("\\b(class|record|interface|enum)\\s+" + Pattern.quote(member) + "\\b")
        .matcher(code)
        .find()) {
      return true;
    }
    Matcher m = Pattern.compile("\\b" + Pattern.quote(member) + "\\s*\\(").matcher(code);
    if (!m.find()) {
      return false;
    }
    String before = code.substring(0, m.start());
    // A declaration has a return type (or a modifier) before the name: "Tensor foo(", not "foo("
    // (a call continuing a statement) or "x.foo(".
    return before.matches(".*\\S\\s+")
        && !before.contains("=")
        && !before.contains("\"")
        && !before.contains("(")
        && !before.matches("(return|throw|new|yield|case|else)\\b.*");
  }

  private static boolean declaresType(List<String> source, String type) {
    Pattern p =
        Pattern.compile("\\b(class|record|interface|enum)\\s+" + Pattern.quote(type) + "\\b");
    return source.stream().anyMatch(l -> p.matcher(l).find());
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path moduleDir() {
    return Path.of("").toAbsolutePath();
  }
}
