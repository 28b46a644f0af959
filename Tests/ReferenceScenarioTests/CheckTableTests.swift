import Foundation
import PlanCore
import Testing

@testable import ReferenceScenarios

/// The machinery around the scenarios: size selection, lookup, and that a check table can
/// actually report a failure (a suite whose checks cannot fail would prove nothing).
@Suite("Reference scenario plumbing")
struct CheckTableTests {
  @Test func sizeComesFromTheEnvironment() {
    #expect(ScenarioSize.fromEnvironment([:]) == .quick)
    #expect(ScenarioSize.fromEnvironment(["LLMPLAN_THOROUGH": "0"]) == .quick)
    #expect(ScenarioSize.fromEnvironment(["LLMPLAN_THOROUGH": "false"]) == .quick)
    #expect(ScenarioSize.fromEnvironment(["LLMPLAN_THOROUGH": ""]) == .quick)
    #expect(ScenarioSize.fromEnvironment(["LLMPLAN_THOROUGH": "1"]) == .thorough)
    #expect(ScenarioSize.thorough.seeds.count > ScenarioSize.quick.seeds.count)
  }

  @Test func theSuiteListsTheFiveScenariosOfTheIssue() throws {
    #expect(
      ReferenceSuite.names == [
        "tp-compute", "pp-memory", "dp-throughput", "large-model", "load-success", "disaggregation",
      ])
    #expect(Set(ReferenceSuite.names).count == ReferenceSuite.all.count)
    for scenario in ReferenceSuite.all {
      #expect(!scenario.title.isEmpty && !scenario.summary.isEmpty)
    }
    #expect(throws: ReferenceSuiteError.unknownScenario("nope", known: ReferenceSuite.names)) {
      try ReferenceSuite.named("nope")
    }
  }

  @Test func formatsNamedUnits() {
    #expect(ValueFormat.times.format(1.714) == "1.71×")
    #expect(ValueFormat.percent.format(0.973) == "97.3 %")
    #expect(ValueFormat.seconds.format(0.0706) == "70.6 ms")
    #expect(ValueFormat.number("tok/s").format(598) == "598 tok/s")
    #expect(ValueFormat.times.format(.nan) == "n/a")
  }

  /// A report with one failing row says so in its verdict, its table and its JSON.
  @Test func aFailedCheckShowsInTheTableAndTheJSON() throws {
    let report = ScenarioReport(
      scenario: "example", title: "Example", size: .quick, seeds: [1],
      checks: [
        ScenarioCheck(
          name: "holds", expected: "≥ 1.50×", got: "1.72×", passed: true, source: .analytic, derivation: "why"),
        ScenarioCheck(
          name: "breaks", expected: "≥ 2.50×", got: "2.10×", passed: false, source: .simulated, derivation: "why"),
      ],
      figures: [ScenarioFigure(name: "TTFT", value: 0.0706, unit: "s", source: .analytic)], notes: ["a note"],
      wallSeconds: 0.5)
    #expect(!report.passed)
    #expect(report.failedChecks.map(\.name) == ["breaks"])
    let text = report.renderedText()
    #expect(text.contains("1 of 2 checks FAIL"))
    #expect(text.contains("FAIL"))
    #expect(text.contains("2. as 1"))  // a repeated derivation points back to the first
    #expect(text.contains("70.6 ms"))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(report), as: UTF8.self)
    #expect(json.contains("\"passed\":false"))
    let decoded = try JSONDecoder().decode(ScenarioReport.self, from: Data(json.utf8))
    #expect(decoded.checks == report.checks)
  }
}

/// The comparisons every scenario is built from fail when they should.
@Suite("Check rows")
struct CheckRecorderTests {
  @Test func comparisonsPassAndFail() {
    var r = CheckRecorder()
    r.atLeast("a", 1.49, 1.5, .times, source: .analytic, "")
    r.atLeast("b", 1.5, 1.5, .times, source: .analytic, "")
    r.below("c", 4, 4, .times, source: .analytic, "")
    r.above("d", 1, 1, .times, source: .analytic, "")
    r.atMost("e", .nan, 1, .times, source: .analytic, "")  // a missing figure never passes
    r.within("f", 1.16, relative: 0.15, of: 1, .times, source: .both, "")
    r.within("g", 0.86, absolute: 0.15, of: 1, .percent, source: .both, "")
    r.between("h", 2, 1, 3, .seconds, source: .simulated, "")
    #expect(r.checks.map(\.passed) == [false, true, false, false, false, false, true, true])
  }
}
