import Foundation
import PlanCore
import Planner
import Reporting
import Testing

/// A small plan shared by the report tests: Llama-2-7B on up to two 80 GB A100s.
enum SmallPlan {
  static let scenario = Fixtures.scenario(
    model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 20, prompt: .uniform(low: 200, high: 600),
    output: .uniform(low: 50, high: 150), budget: 2, duration: 30, warmup: 10)

  static func report() throws -> PlanReport {
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
    let plan = try Planner(request).plan()
    return try PlanReport(
      plan: plan, inputFiles: request.inputFiles, baseDirectory: Fixtures.repositoryRoot, command: "llmplan recommend")
  }
}

@Suite struct ReportTests {
  // MARK: Overwrite protection

  @Test func reportsOverwriteOnlyWhatLLMPlanWrote() throws {
    let directory = try Fixtures.temporaryDirectory()
    let path = directory + "/nested/report.md"
    let first = ReportFile.marker + "\n\nfirst\n"
    let second = ReportFile.marker + "\n\nsecond\n"
    // A new file (and its directory) is created.
    try ReportFile.write(first, to: path, force: false)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == first)
    // A file carrying the marker is LLMPlan's own: regenerated without --force.
    try ReportFile.write(second, to: path, force: false)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == second)

    // A file somebody else wrote is refused, and left untouched.
    let notes = directory + "/notes.md"
    try Data("# My notes\n".utf8).write(to: URL(fileURLWithPath: notes))
    #expect(throws: ReportError.self) { try ReportFile.write(first, to: notes, force: false) }
    #expect(try String(contentsOfFile: notes, encoding: .utf8) == "# My notes\n")
    // The marker must be the first line: a quoted marker further down does not count.
    try Data("# Notes\n\(ReportFile.marker)\n".utf8).write(to: URL(fileURLWithPath: notes))
    #expect(throws: ReportError.self) { try ReportFile.write(first, to: notes, force: false) }
    // --force overwrites.
    try ReportFile.write(first, to: notes, force: true)
    #expect(try String(contentsOfFile: notes, encoding: .utf8) == first)
    // A directory is never a report.
    #expect(throws: ReportError.self) { try ReportFile.write(first, to: directory, force: true) }
  }

  @Test func renderedReportsStartWithTheMarker() throws {
    let report = try SmallPlan.report()
    #expect(PlanMarkdown.render(report).hasPrefix(ReportFile.marker + "\n"))
  }

  // MARK: JSON

  @Test func jsonCarriesTheWholePlanAndRoundTrips() throws {
    let report = try SmallPlan.report()
    let text = try report.json()
    let decoded = try JSONDecoder().decode(PlanReport.self, from: Data(text.utf8))
    #expect(decoded == report)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(Set(object.keys) == ["command", "inputs", "plan"])
    let plan = try #require(object["plan"] as? [String: Any])
    #expect(
      Set(plan.keys) == [
        "question", "candidates", "shortlist", "recommendation", "loadCurves", "tensorParallelScaling", "launch",
        "assumptions", "price", "disaggregation",
      ])
    // Stable keys: absent values are null, not missing — every candidate has the same keys.
    let candidates = try #require(plan["candidates"] as? [[String: Any]])
    #expect(candidates.count == report.plan.candidates.count)
    let keySets = Set(candidates.map { Set($0.keys) })
    #expect(keySets.count == 1)
    #expect(keySets.first?.contains("maxSustainableRequestsPerSecond") == true)
    // Every input is hashed (64 hex digits) and shown relative to the repository.
    for input in report.inputs {
      #expect(input.sha256.count == 64 && input.sha256.allSatisfy(\.isHexDigit))
      #expect(!input.path.hasPrefix("/"))
    }
    #expect(!text.contains("nan") && !text.lowercased().contains("infinity"))
  }

  // MARK: Markdown structure

  /// Splits a table row into cells on unescaped pipes.
  static func cells(_ line: String) -> Int {
    var count = 0
    var previous: Character = " "
    for character in line where character == "|" || character == "\\" {
      if character == "|", previous != "\\" { count += 1 }
      previous = character
    }
    return count - 1
  }

  /// Checks the Markdown is well-formed: every table's rows have the header's cell count,
  /// fenced blocks close, and no NaN or ∞ appears.
  static func checkStructure(_ markdown: String) {
    var inFence = false
    var tableWidth: Int?
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("```") {
        inFence.toggle()
        continue
      }
      if inFence { continue }
      if line.hasPrefix("|") {
        let width = cells(line)
        if let tableWidth {
          #expect(width == tableWidth, "row with \(width) cells in a table of \(tableWidth): \(line)")
        } else {
          tableWidth = width
        }
      } else {
        tableWidth = nil
      }
    }
    #expect(!inFence, "an unclosed code fence")
    for bad in ["nan", "NaN", "inf ", "∞"] { #expect(!markdown.contains(bad), "report contains \(bad)") }
  }

  @Test func markdownHasEveryPartAndWellFormedTables() throws {
    let markdown = PlanMarkdown.render(try SmallPlan.report())
    for heading in [
      "# Capacity plan:", "## The question", "### Input files", "## Recommendation", "## All layouts",
      "## Memory of", "## Simulated shortlist", "## Analytic vs simulated", "## Charts", "## Launch command",
      "## Assumptions and sources",
    ] {
      #expect(markdown.contains("\n" + heading), "missing section \(heading)")
    }
    #expect(markdown.contains("```mermaid\nxychart-beta"))
    for flag in [
      "--tensor-parallel-size", "--pipeline-parallel-size", "--data-parallel-size", "--max-num-seqs",
      "--gpu-memory-utilization",
    ] {
      #expect(markdown.contains(flag))
    }
    Self.checkStructure(markdown)
  }

  // MARK: Examples and the default scenario

  @Test func defaultScenarioFileMatchesTheBuiltInOne() throws {
    let file = try Scenario.load(Fixtures.repositoryRoot + "/Reports/examples/default.yaml")
    #expect(file == Scenario.defaultPlanning)
  }

  @Test func checkedInExampleRegeneratesByteForByte() throws {
    // Reports/examples/regenerate.sh ran exactly this command from the repository root.
    let name = "7b-tp-scaling"
    let scenarioPath = "Reports/examples/\(name).yaml"
    let command = "llmplan recommend --scenario \(scenarioPath) --report Reports/examples/\(name).md --json"
    let request = try PlanRequest(
      scenario: try Scenario.load(Fixtures.repositoryRoot + "/" + scenarioPath), catalog: Fixtures.catalog)
    let plan = try Planner(request).plan()
    let report = try PlanReport(
      plan: plan, inputFiles: [Fixtures.repositoryRoot + "/" + scenarioPath] + request.inputFiles,
      baseDirectory: Fixtures.repositoryRoot, command: command)
    let expected = try String(contentsOfFile: Fixtures.repositoryRoot + "/Reports/examples/\(name).md", encoding: .utf8)
    let rendered = PlanMarkdown.render(
      report, withParetoOf: try FleetPlanner.single(request, plan: plan, clusterNote: ""))
    #expect(rendered == expected)
    Self.checkStructure(rendered)
    let expectedJSON = try String(
      contentsOfFile: Fixtures.repositoryRoot + "/Reports/examples/\(name).json", encoding: .utf8)
    #expect(try report.json() + "\n" == expectedJSON)
  }

  @Test func samePlanTwiceIsIdentical() throws {
    let first = PlanMarkdown.render(try SmallPlan.report())
    let second = PlanMarkdown.render(try SmallPlan.report())
    #expect(first == second)
  }
}
