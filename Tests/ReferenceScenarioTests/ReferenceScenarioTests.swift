import Foundation
import PlanCore
import ReferenceScenarios
import Testing

/// The reference behaviours (issue 6), run against the real analytic model and the real
/// simulator: every check row of every scenario must pass. The quick size runs in the default
/// `swift test`; `LLMPLAN_THOROUGH=1` runs the thorough size (longer simulated durations,
/// three seeds). The expectations and their derivations live with the scenarios
/// (Sources/ReferenceScenarios), so `llmplan scenarios run NAME` prints the same table.
@Suite("Reference scenarios")
struct ReferenceScenarioTests {
  static let size = ScenarioSize.fromEnvironment()

  @Test("every check of the scenario passes", arguments: ReferenceSuite.names)
  func scenarioChecksPass(name: String) throws {
    let catalog = try Catalog.locate()
    let report = try ReferenceSuite.named(name).run(size: Self.size, catalog: catalog)
    #expect(report.size == Self.size)
    #expect(report.checks.count >= 10, "a scenario checks its behaviour from several sides")
    for check in report.checks {
      #expect(
        check.passed,
        "\(name): \(check.name): expected \(check.expected), got \(check.got) (\(check.source.rawValue)); \(check.derivation)"
      )
    }
    // Issue 6: every scenario checks both analytic and simulated numbers.
    let sources = Set(report.checks.map(\.source))
    #expect(sources.contains(.analytic) || sources.contains(.both), "\(name) checks no analytic number")
    #expect(sources.contains(.simulated) || sources.contains(.both), "\(name) checks no simulated number")
    if !report.passed {
      let table = report.renderedText()
      Attachment.record(table, named: "\(name)-\(Self.size).txt")
      print(table)
    }
  }
}
