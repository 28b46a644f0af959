import Foundation
import Fuzzing
import Testing

/// `<package>`, found from this file so the tests do not depend on the cwd.
let packageRoot =
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

@Suite struct FuzzMutatorTests {
  let corpus: FuzzCorpus

  init() throws { corpus = try FuzzCorpus(root: packageRoot) }

  @Test func corpusHoldsEveryShippedCatalogAndScenarioFile() throws {
    let fileManager = FileManager.default
    func count(_ folder: String, _ suffix: String) -> Int {
      ((try? fileManager.contentsOfDirectory(atPath: packageRoot + "/" + folder)) ?? []).filter { $0.hasSuffix(suffix) }
        .count
    }
    let expected =
      count("Models/llm", ".json") + count("Models/gpus", ".json") + count("Models/clusters", ".json")
      + count("Reports/examples", ".yaml") + count("Reports/scenarios", ".yaml")
    #expect(corpus.files.count == expected)
    for kind in FuzzCorpus.Kind.allCases { #expect(corpus.files.contains { $0.kind == kind }, "\(kind)") }
  }

  @Test func sameSeedAndIndexGiveTheSameBytes() {
    let a = FuzzMutator(corpus: corpus, seed: 7)
    let b = FuzzMutator(corpus: corpus, seed: 7)
    for index in [0, 1, 17, 299, 99_999] {
      let first = a.makeCase(index)
      let second = b.makeCase(index)
      #expect(first.bytes == second.bytes, "case \(index)")
      #expect(first.mutations == second.mutations, "case \(index)")
      #expect(first.file == second.file, "case \(index)")
    }
  }

  @Test func anotherSeedGivesOtherCases() {
    let a = FuzzMutator(corpus: corpus, seed: 1)
    let b = FuzzMutator(corpus: corpus, seed: 2)
    let differing = (0..<100).filter { a.makeCase($0).bytes != b.makeCase($0).bytes }.count
    // Equal bytes need the same file and the same mutations drawn: rare, not systematic.
    #expect(differing >= 90)
  }

  @Test func almostEveryCaseChangesItsFile() {
    let mutator = FuzzMutator(corpus: corpus, seed: 1)
    var unchanged = 0
    for index in 0..<300 {
      let fuzzCase = mutator.makeCase(index)
      #expect(!fuzzCase.mutations.isEmpty)
      // Structural cases are rewritten as JSON; compare trees, not bytes (under a node limit:
      // a case may hold an alias bomb).
      let original = try? FuzzNode.parse(fuzzCase.file.text)
      let mutated = try? FuzzNode.parse(fuzzCase.text, nodeLimit: 100_000)
      if fuzzCase.bytes == Array(fuzzCase.file.text.utf8) || (original != nil && original == mutated) {
        unchanged += 1
      }
    }
    // A swap of a value with itself or a bit flip inside a comment changes nothing: a few percent.
    #expect(unchanged <= 15, "\(unchanged) of 300 cases left their file as it was")
  }

  @Test func casesCoverEveryFileKindAndMutationFamily() {
    let mutator = FuzzMutator(corpus: corpus, seed: 1)
    let cases = (0..<300).map(mutator.makeCase)
    for kind in FuzzCorpus.Kind.allCases { #expect(cases.contains { $0.file.kind == kind }, "\(kind)") }
    let text = cases.flatMap(\.mutations).joined(separator: "\n")
    for family in ["deleted ", "type changed", "truncated", "flipped bits", "repeated", "misspelt", " → "] {
      #expect(text.contains(family), "no \"\(family)\" mutation in 300 cases")
    }
  }

  @Test func everyCorpusFileReadsBackAsTheSameTree() throws {
    for file in corpus.files {
      let tree = try FuzzNode.parse(file.text)
      #expect(try FuzzNode.parse(tree.json()) == tree, "\(file.relativePath)")
      #expect(!tree.paths.isEmpty, "\(file.relativePath)")
    }
  }

  @Test func scenarioWindowsAreShortened() {
    let text = "name: x\nduration: 10 min\nwarmup: 1 min\ndrain: 2 min\nworkload:\n  duration_note: 1\n"
    #expect(
      FuzzCorpus.shortenWindows(text)
        == "name: x\nduration: 10 s\nwarmup: 2 s\ndrain: 10 s\nworkload:\n  duration_note: 1\n")
  }

  @Test func aliasBombIsRefusedNotExpanded() {
    // 9 levels of 9 aliases: 9^9 ≈ 387 million nodes if copied.
    var lines = ["b0: &b0 [\"x\"]"]
    for level in 1...9 {
      lines.append(
        "b\(level): &b\(level) [" + Array(repeating: "*b\(level - 1)", count: 9).joined(separator: ", ") + "]")
    }
    #expect(throws: FuzzError.self) { try FuzzNode.parse(lines.joined(separator: "\n"), nodeLimit: 10_000) }
  }

  @Test func treeEditsReachNestedValues() throws {
    var tree = try FuzzNode.parse("{\"a\": {\"b\": [1, \"2 GB\"]}, \"c\": true}")
    #expect(tree[[.key("a"), .key("b"), .index(1)]] == .string("2 GB"))
    tree.set([.key("a"), .key("b"), .index(0)], to: .number("1e999"))
    tree.set([.key("c")], to: nil)
    #expect(tree.json() == "{\n  \"a\": {\n    \"b\": [\n      1e999,\n      \"2 GB\"\n    ]\n  }\n}")
  }
}

@Suite struct FuzzCheckTests {
  @Test func nonFiniteWordsAreFlagged() {
    for text in ["latency: inf s", "x = -nan", "NaN", "\"value\" : Infinity,", "TTFT ∞", "+inf ms"] {
      #expect(FuzzCheck.nonFiniteToken(text) != nil, "\(text)")
    }
  }

  @Test func wordsThatContainInfOrNanAreNot() {
    let text = "InfiniBand information nanoseconds infer Nancy banana inflight 200 Gbit/s"
    #expect(FuzzCheck.nonFiniteToken(text) == nil)
  }

  /// A mutation that cut "InfiniBand" to "Inf[[[…" in a description is echoed by the listing:
  /// the user's text, not a computed value. An `inf` computed from a `.inf` input value is
  /// printed in another context and is still flagged.
  @Test func nonFiniteWordsCopiedFromTheInputAreEchoesNotResults() {
    let input = "{\"description\": \"NVSwitch and Inf[[[[[[[[]]\", \"memory\": \".inf\"}"
    #expect(FuzzCheck.nonFiniteToken("source: NVSwitch and Inf[[[[[[[[]]", echoedFrom: input) == nil)
    #expect(FuzzCheck.nonFiniteToken("memory: inf GB", echoedFrom: input) == "inf")
    #expect(FuzzCheck.nonFiniteToken("source: NVSwitch and Inf[[[[[[[[]]") == "Inf")
  }

  @Test func absurdNumbersAreFlagged() {
    #expect(FuzzCheck.absurdNumber("memory 1e308 B") == "1e308")
    #expect(FuzzCheck.absurdNumber("\"bytes\" : 1.7976931348623157e+308,") == "1.7976931348623157e+308")
    #expect(FuzzCheck.absurdNumber("parameters 1234567890123456789012345678901234567890") != nil)
  }

  @Test func ordinaryNumbersListsAndHashesAreNot() {
    // FLOPs of a 175B model over a million tokens (3.5e17), a GPU list, a SHA-256, a version.
    let text = """
      flops 3.5e17, GPUs 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
      sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 v1.2.3 -0.0 % 1e-300
      """
    #expect(FuzzCheck.absurdNumber(text) == nil)
  }

  @Test func cleanErrorsPass() {
    let line =
      "Models/gpus/x.json: memory: \"80\" has no unit (use e.g. \"80 GB\"); allowed 1 GB to 10 TB"
    #expect(FuzzCheck.errorProblem(line) == nil)
  }

  @Test func rawAndMultiLineErrorsFail() {
    #expect(FuzzCheck.errorProblem("") != nil)
    #expect(FuzzCheck.errorProblem("not valid YAML (mapping values are not allowed\n  line 3)") != nil)
    #expect(
      FuzzCheck.errorProblem("invalidValue(inf, Swift.EncodingError.Context(codingPath: [], debugDescription: \"\"))")
        != nil)
    #expect(FuzzCheck.errorProblem("The operation could not be completed. (NSCocoaErrorDomain error 512.)") != nil)
    #expect(FuzzCheck.errorProblem("CatalogError(file: \"x\", field: \"y\", reason: \"z\")") != nil)
    #expect(FuzzCheck.errorProblem(String(repeating: "a", count: 1001)) != nil)
  }

  @Test func jsonOutputMustParse() {
    #expect(FuzzCheck.resultProblem("{\"a\": 1}", isJSON: true) == nil)
    #expect(FuzzCheck.resultProblem("{\"a\": ", isJSON: true) != nil)
  }
}
