import ArgumentParser
import Foundation
import PlanCore
import ReferenceScenarios

/// `llmplan scenarios`: the reference behaviours (TP, PP, DP, a 175B model, load against
/// success) as runnable check tables.
struct ScenariosCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scenarios",
    abstract: "List the reference scenarios, or run one and print its check table.",
    discussion: """
      Each scenario runs the real analytic model and the real simulator on a configuration \
      whose behaviour is known from physics (e.g. TP cuts TTFT sub-linearly) and prints one row \
      per check: what a closed form or physical bound expects, what LLMPlan got, and where the \
      expectation comes from. The same checks are the ReferenceScenarioTests suites (quick in \
      `swift test`, thorough with LLMPLAN_THOROUGH=1). `scenarios run` exits with status 5 when a \
      check fails.
      """,
    subcommands: [List.self, Run.self],
    defaultSubcommand: List.self)

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the reference scenarios.")
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Entry: Encodable {
      var name: String
      var title: String
      var summary: String
    }

    func run() throws {
      let entries = ReferenceSuite.all.map { Entry(name: $0.name, title: $0.title, summary: $0.summary) }
      if json {
        try withUserFacingErrors { try JSONOutput.print(entries) }
        return
      }
      var table = TextTable([.init("name"), .init("what it shows")])
      for entry in entries { table.append([entry.name, entry.title]) }
      print(table.rendered)
      print("")
      for entry in entries { print("\(entry.name): \(entry.summary)\n") }
      print("Run one with `llmplan scenarios run NAME [--thorough] [--json]` (or `run all`).")
    }
  }

  struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "run", abstract: "Run reference scenarios and print their check tables (expected vs got).")
    @OptionGroup var catalogOptions: CatalogOptions
    @Argument(help: "Scenario names (see `llmplan scenarios`), or `all`.") var names: [String]
    @Flag(help: "The thorough size: longer simulated durations and three seeds.") var thorough = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
      if names.isEmpty { throw ValidationError("name a scenario (or `all`); `llmplan scenarios` lists them") }
    }

    func run() throws {
      let catalog: Catalog
      let scenarios: [any ReferenceScenario]
      do {
        catalog = try catalogOptions.load()
        scenarios = names == ["all"] ? ReferenceSuite.all : try names.map(ReferenceSuite.named)
      } catch {
        throw UserFacingError(error)
      }
      let size: ScenarioSize = thorough ? .thorough : .quick
      var reports: [ScenarioReport] = []
      for scenario in scenarios {
        do {
          let report = try scenario.run(size: size, catalog: catalog)
          reports.append(report)
          // Wall time goes to stderr so that stdout depends only on the inputs and seeds.
          FileHandle.standardError.write(
            Data("\(scenario.name): ran in \(String(format: "%.1f", report.wallSeconds)) s\n".utf8))
          if !json {
            print(report.renderedText())
            print("")
          }
        } catch {
          throw UserFacingError(message: "\(scenario.name): \(error)")
        }
      }
      if json { try withUserFacingErrors { try JSONOutput.print(reports) } }
      let failed = reports.filter { !$0.passed }.map(\.scenario)
      if !failed.isEmpty {
        if !json { print("FAILED: \(failed.joined(separator: ", "))") }
        throw LLMPlanExit.checksFailed.exitCode
      }
    }
  }
}
