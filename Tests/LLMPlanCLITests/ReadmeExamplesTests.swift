import Foundation
import Testing

/// The README's worked examples (```console blocks that start with `$ llmplan …` and show the
/// output) print today exactly what the README shows, so the documentation cannot drift from the
/// tool. JSON and simulation examples show no output and are not checked here.
@Suite struct ReadmeExamplesTests {
  struct Example {
    var arguments: [String]
    var expected: String
  }

  /// Splits a shell command line: words separated by spaces, "double quotes" grouping,
  /// backslash-newline continuing the line.
  static func words(_ line: String) -> [String] {
    var result: [String] = []
    var current = ""
    var quoted = false
    var started = false
    for character in line.replacingOccurrences(of: "\\\n", with: " ") {
      if character == "\"" {
        quoted.toggle()
        started = true
      } else if character == " " && !quoted {
        if started { result.append(current) }
        current = ""
        started = false
      } else {
        current.append(character)
        started = true
      }
    }
    if started { result.append(current) }
    return result
  }

  static func examples() throws -> [Example] {
    let readme = try String(
      contentsOf: CLIRunner.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
    var examples: [Example] = []
    for block in readme.components(separatedBy: "```console\n").dropFirst() {
      guard let body = block.components(separatedBy: "```").first, body.hasPrefix("$ llmplan ") else { continue }
      // The command may continue over lines ending in a backslash.
      var commandLines: [Substring] = []
      var rest = body[...]
      while let newline = rest.firstIndex(of: "\n") {
        let line = rest[..<newline]
        commandLines.append(line)
        rest = rest[rest.index(after: newline)...]
        if !line.hasSuffix("\\") { break }
      }
      let command = commandLines.joined(separator: "\n").dropFirst(2)
      let arguments = words(String(command))
      guard !arguments.contains("--json"), !rest.isEmpty else { continue }
      examples.append(Example(arguments: Array(arguments.dropFirst()), expected: String(rest)))
    }
    return examples
  }

  @Test func theWordSplitterReadsQuotesAndContinuations() {
    #expect(
      Self.words("llmplan comm --bytes \"16 MB\" \\\n    --gpus 4") == [
        "llmplan", "comm", "--bytes", "16 MB", "--gpus", "4",
      ])
  }

  @Test func everyWorkedExamplePrintsWhatTheReadmeShows() throws {
    let examples = try Self.examples()
    // estimate, ops and comm are shown with their output.
    #expect(examples.count >= 3)
    for example in examples {
      let run = try CLIRunner.run(example.arguments, in: CLIRunner.packageRoot)
      #expect(run.status == 0, "\(example.arguments)")
      #expect(run.stdout == example.expected, "llmplan \(example.arguments.joined(separator: " "))")
    }
  }
}
