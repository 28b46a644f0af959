import Foundation
import PlanCore
import Planner
import Simulation
import Testing

@Suite struct SearchTests {
  @Test func rateSearchBracketsAMonotoneThreshold() {
    // A layout that meets the SLO exactly up to 10 req/s: the search must end with a bracket
    // [met, broken] around 10 no wider than the stated ratio.
    var calls = 0
    let bound = SimulatedRateSearch.search(startRate: 6) { rate in
      calls += 1
      return rate <= 10
    }
    let met = bound.metRequestsPerSecond ?? 0
    let broken = bound.brokenRequestsPerSecond ?? .infinity
    #expect(met <= 10 && broken > 10)
    #expect(broken / met <= SimulatedRateSearch.bracketRatio)
    #expect(bound.simulations == calls)
  }

  @Test func rateSearchGoesDownWhenTheStartBreaksTheSLO() {
    let bound = SimulatedRateSearch.search(startRate: 20, known: [(15, false)]) { $0 <= 8 }
    #expect((bound.metRequestsPerSecond ?? 0) <= 8)
    #expect((bound.brokenRequestsPerSecond ?? 0) > 8)
  }

  @Test func analyticMaximumRateIsTheSLOBoundary() throws {
    let scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 5, prompt: .fixed(1000),
      output: .fixed(200),
      budget: 2)
    let request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
    for layout in [Layout(tp: 1, pp: 1, dp: 1), Layout(tp: 2, pp: 1, dp: 1), Layout(tp: 1, pp: 1, dp: 2)] {
      let probe = try LayoutProbe(request: request, layout: layout)
      let maximum = try probe.maxSustainableRate()
      #expect(maximum > 0)
      // By construction of the bisection: met just below, broken just above (0.01 % tolerance).
      #expect(try probe.meetsSLO(at: maximum * 0.999))
      #expect(try !probe.meetsSLO(at: maximum * 1.001))
      // And never above the capacity, where no steady state exists.
      let capacity = try #require(try probe.load(at: 1)?.capacityRequestsPerSecond)
      #expect(maximum < capacity)
    }
  }

  @Test func gapRowsUseTheSimulationAsReference() {
    // (analytic − simulated) / simulated, flagged strictly above the threshold.
    let within = GapRow(metric: .ttftP90, analytic: 0.115, simulated: 0.1, threshold: 0.2)
    #expect(abs((within.relativeGap ?? 0) - 0.15) < 1e-12 && !within.flagged)
    let beyond = GapRow(metric: .ttftP90, analytic: 0.13, simulated: 0.1, threshold: 0.2)
    #expect(beyond.flagged)
    let under = GapRow(metric: .successRate, analytic: 0.5, simulated: 1, threshold: 0.15)
    #expect(under.relativeGap == -0.5 && under.flagged)
    let missing = GapRow(metric: .ttftP50, analytic: nil, simulated: 0.1, threshold: 0.15)
    #expect(missing.relativeGap == nil && !missing.flagged)
  }

  @Test func rateGridUsesRoundSteps() {
    // 23 req/s over at most 10 points: a raw step of 2.3 rounds up to 2.5.
    #expect(Planner.rateGrid(upTo: 23, points: 10) == [2.5, 5, 7.5, 10, 12.5, 15, 17.5, 20, 22.5, 25])
    #expect(Planner.rateGrid(upTo: 9, points: 10) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
  }
}
