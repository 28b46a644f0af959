import ArgumentParser
import Foundation
import PlanCore
import Planner
import ReferenceScenarios

/// `llmplan bench disaggregation`: the cost of searching disaggregated layouts next to the
/// aggregated ones, on the built-in question (one node) and on the two-node question of the
/// `disaggregation` reference scenario.
struct BenchDisaggregationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "disaggregation",
    abstract: "Wall time of the disaggregated search and of whole recommends that include it.",
    discussion: """
      For the built-in question (8 GPUs) and the two-node question of the disaggregation reference scenario \
      (16 GPUs): the disaggregated analytic search alone, and a whole recommend (both forms searched, shortlists \
      simulated with their maximum-rate searches), --runs times each; prints the medians.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @Option(help: "Runs.") var runs: Int = 3

  func run() throws {
    try withUserFacingErrors {
      guard runs >= 1 else { throw UserFacingError(message: "--runs must be at least 1") }
      let catalog = try catalogOptions.load()
      let clock = ContinuousClock()
      func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
      func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
      for (label, scenario) in [
        ("built-in question, 1 node", Scenario.defaultPlanning),
        ("disagg-wins, 2 nodes", DisaggregationScenario.scenario(wins: true, size: .thorough)),
      ] {
        let request = try PlanRequest(scenario: scenario, catalog: catalog)
        var search: [Double] = []
        var whole: [Double] = []
        var scored = 0
        for _ in 0..<runs {
          var start = clock.now
          scored = try DisaggregationSearch(request).candidates().count
          search.append(seconds(clock.now - start))
          start = clock.now
          _ = try Planner(request).plan()
          whole.append(seconds(clock.now - start))
        }
        print(
          "\(label): \(scored) disaggregated layouts; search \(Units.formatSeconds(median(search))), "
            + "whole recommend \(Units.formatSeconds(median(whole))) (median of \(runs))")
      }
    }
  }
}
