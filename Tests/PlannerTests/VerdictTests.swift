import Foundation
import PlanCore
import Planner
import Reporting
import Simulation
import Testing

/// Verdicts that must not mislead: points not compared never count as agreeing, simulation
/// noise is not reported as model error, and reports print no "−0.0" and no over-wide tables.
@Suite struct VerdictTests {
  /// The shipped 7B data-parallel example (Llama 2 7B on one A100 80GB per replica).
  static func dpScalingRequest() throws -> PlanRequest {
    let scenario = try Scenario.load(Fixtures.repositoryRoot + "/Reports/examples/7b-dp-scaling.yaml")
    return try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
  }

  static func capacity(_ request: PlanRequest, _ layout: Layout) throws -> Double {
    let probe = try LayoutProbe(request: request, layout: layout)
    let service = try #require(probe.service)
    return Double(layout.dp) * service.capacityRequestsPerSecond
  }

  // MARK: Not compared is never "within"

  /// The command: `validate --scenario 7b-dp-scaling.yaml --layouts 1x1x1 --rates 40,50,60`
  /// (every rate past the one replica's analytic capacity of ≈ 30 req/s). Nothing is compared,
  /// so nothing agrees and there is no "valid up to".
  @Test func everyRatePastCapacityComparesNothing() throws {
    let request = try Self.dpScalingRequest()
    let layout = Layout(tp: 1, pp: 1, dp: 1)
    let capacity = try Self.capacity(request, layout)
    let rates = [40.0, 50, 60]
    #expect(rates.allSatisfy { $0 > capacity }, "the example's rates must all be past capacity \(capacity)")
    let result = try Validator(request).validate(layouts: [layout], rates: rates, replications: 2)
    let sweep = try #require(result.layouts.first)
    #expect(sweep.points.count == 3)
    #expect(sweep.points.allSatisfy { $0.comparison == .notCompared && !$0.analytic.stable })
    #expect(sweep.comparedPoints == 0 && sweep.agreeingPoints == 0 && sweep.notComparedPoints == 3)
    #expect(sweep.validUpToRequestsPerSecond == nil)
    #expect(!sweep.validity.contains("within"), "\(sweep.validity)")
    #expect(!sweep.validity.contains("agrees"), "\(sweep.validity)")
    #expect(sweep.validity.hasPrefix("No rate was compared"), "\(sweep.validity)")
    let markdown = try Self.validationMarkdown(result)
    #expect(markdown.contains("0 of 3 |"), "the summary says 0 of 3 compared")
    #expect(markdown.contains("not compared"))
  }

  /// "Valid up to" is a compared, agreeing rate: with one rate well below capacity and two
  /// past it, it is the low rate (if that agrees) or nothing, never a rate past capacity.
  @Test func validUpToIsAComparedRate() throws {
    let request = try Self.dpScalingRequest()
    let layout = Layout(tp: 1, pp: 1, dp: 1)
    let capacity = try Self.capacity(request, layout)
    let rates = [0.2 * capacity, 1.5 * capacity, 2 * capacity].map(Validator.twoSignificant)
    let sweep = try #require(
      try Validator(request).validate(layouts: [layout], rates: rates, replications: 2).layouts.first)
    #expect(sweep.comparedPoints + sweep.notComparedPoints == sweep.points.count)
    #expect(sweep.agreeingPoints + sweep.flaggedPoints == sweep.comparedPoints)
    #expect(sweep.points[0].comparison != .notCompared, "a rate at 20 % of capacity has a steady state")
    if let validUpTo = sweep.validUpToRequestsPerSecond {
      let point = try #require(sweep.points.first { $0.rateRequestsPerSecond == validUpTo })
      #expect(point.comparison == .agrees)
      #expect(validUpTo < capacity)
    }
    for point in sweep.points where point.comparison == .notCompared {
      #expect(point.notComparedReason != nil)
      #expect(sweep.validity.contains(Format.number(point.rateRequestsPerSecond)), "\(sweep.validity)")
    }
  }

  // MARK: Confidence intervals

  /// Hand-computed: values 200, 260, 320, 250, 370 have mean 280 and sample variance
  /// 17400 / 4 = 4350 (s = 65.95); half-width t(0.975, 4) · s / √5 = 2.776 · 29.50 = 81.9.
  @Test func intervalIsTheStudentTIntervalOfTheMean() throws {
    let interval = try #require(ConfidenceInterval([200, 260, 320, 250, 370]))
    #expect(interval.mean == 280)
    let half = 2.776 * (4350.0 / 5).squareRoot()
    #expect(abs(interval.lowerBound - (280 - half)) < 1e-9)
    #expect(abs(interval.upperBound - (280 + half)) < 1e-9)
    #expect(interval.replications == 5)
    #expect(ConfidenceInterval([42]) == nil, "one run has no spread")
    // A fraction's interval stays within [0, 1].
    let success = try #require(ConfidenceInterval([1, 1, 0.9], range: 0...1))
    #expect(success.upperBound == 1 && success.lowerBound >= 0)
  }

  /// Above the table, the Cornish–Fisher expansion continues it: t(0.975, 31) = 2.040 and
  /// t(0.975, 60) = 2.000 (the same tables), tending to z = 1.960.
  @Test func studentQuantilesFollowTheTable() {
    #expect(StudentT.quantile975(degreesOfFreedom: 4) == 2.776)
    #expect(abs(StudentT.quantile975(degreesOfFreedom: 31) - 2.040) < 1e-3)
    #expect(abs(StudentT.quantile975(degreesOfFreedom: 60) - 2.000) < 1e-3)
    #expect(abs(StudentT.quantile975(degreesOfFreedom: 100_000) - 1.960) < 1e-3)
  }

  /// Poisson counts with mean λ = 100 (σ = 10), drawn by Knuth's product-of-uniforms method.
  static func poissonCounts(_ count: Int, seed: UInt64) -> [Double] {
    var generator = Xoshiro256StarStar(seed: seed)
    let limit = exp(-100.0)
    return (0..<count).map { _ in
      var product = Double.random(in: 0..<1, using: &generator)
      var k = 0
      while product > limit {
        product *= Double.random(in: 0..<1, using: &generator)
        k += 1
      }
      return Double(k)
    }
  }

  /// The half-width of the interval of a Poisson count's mean is t · σ / √n with σ = √λ = 10,
  /// so 16 times the replications make it ≈ 4 times narrower; and about 95 % of intervals
  /// cover the true mean (200 intervals: binomial σ ≈ 3.1, so at least 181).
  @Test func poissonCountIntervalShrinksAsOneOverRootN() throws {
    let small = try #require(ConfidenceInterval(Self.poissonCounts(25, seed: 1)))
    let large = try #require(ConfidenceInterval(Self.poissonCounts(400, seed: 2)))
    let expectedSmall = StudentT.quantile975(degreesOfFreedom: 24) * 10 / 5
    let expectedLarge = StudentT.quantile975(degreesOfFreedom: 399) * 10 / 20
    // s from n samples has a relative standard deviation ≈ 1/√(2(n−1)): 14 % at n = 25.
    #expect(abs(small.halfWidth / expectedSmall - 1) < 0.35)
    #expect(abs(large.halfWidth / expectedLarge - 1) < 0.15)
    let ratio = small.halfWidth / large.halfWidth
    #expect(ratio > 2.8 && ratio < 5.6, "ratio \(ratio), expected ≈ 4.2")
    var covered = 0
    for seed in 0..<200 {
      if try #require(ConfidenceInterval(Self.poissonCounts(10, seed: 1000 + UInt64(seed)))).contains(100) {
        covered += 1
      }
    }
    #expect(covered >= 181 && covered <= 200, "\(covered) of 200 intervals cover the mean")
  }

  /// The flag needs both: beyond the threshold AND outside the interval.
  @Test func gapInsideTheSimulatedIntervalIsNotFlagged() throws {
    let interval = try #require(ConfidenceInterval([200, 260, 320, 250, 370]))  // 280, [198, 362]
    let inside = GapRow(metric: .throughput, analytic: 340, simulated: 244, interval: interval, threshold: 0.15)
    #expect(inside.simulated == 280, "the simulated value is the replications' mean")
    #expect(abs(inside.relativeGap! - 60.0 / 280) < 1e-12)
    #expect(!inside.flagged, "21 % gap, but 340 lies inside the interval: noise, not model error")
    let outside = GapRow(metric: .throughput, analytic: 380, simulated: 244, interval: interval, threshold: 0.15)
    #expect(outside.flagged)
    let small = GapRow(metric: .throughput, analytic: 300, simulated: 244, interval: interval, threshold: 0.15)
    #expect(!small.flagged)
    let single = GapRow(metric: .throughput, analytic: 340, simulated: 280, threshold: 0.15)
    #expect(single.flagged, "without an interval, the threshold alone decides")
  }

  /// The case: at 3 req/s over a 45 s window the one run's throughput is 23 % below
  /// the analytic one only because fewer requests arrived. In steady state the expected
  /// output rate is λ · E[output] whatever the model, so the interval of the replications
  /// covers the analytic throughput and the row is not flagged.
  @Test func throughputAtLowLoadIsNotModelError() throws {
    let request = try Self.dpScalingRequest()
    let sweep = try #require(
      try Validator(request).validate(layouts: [Layout(tp: 1, pp: 1, dp: 1)], rates: [3]).layouts.first)
    let point = try #require(sweep.points.first)
    let row = try #require(point.gap.first { $0.metric == .throughput })
    let analytic = try #require(row.analytic)
    #expect(abs(analytic - 3 * 100) < 1e-6, "λ · mean output = 3 × 100 tokens/s")
    let interval = try #require(row.simulatedInterval)
    #expect(interval.replications == Replications.defaultCount)
    #expect(interval.contains(analytic), "[\(interval.lowerBound), \(interval.upperBound)]")
    #expect(!row.flagged)
    let intervals = try #require(point.intervals)
    #expect(intervals.seeds.first == request.scenario.workload.seed)
    #expect(Set(intervals.seeds).count == intervals.seeds.count, "distinct seeds")
  }

  @Test func replicationSeedsAreDeterministicAndDistinct() {
    let first = (0..<8).map { Replications.seed(base: 1, replication: $0) }
    let again = (0..<8).map { Replications.seed(base: 1, replication: $0) }
    #expect(first == again)
    #expect(first[0] == 1)
    #expect(Set(first).count == 8)
  }

  @Test func concurrentMapKeepsIndexOrderAndRethrows() throws {
    let squares = try Replications.concurrentMap(count: 64) { $0 * $0 }
    #expect(squares == (0..<64).map { $0 * $0 })
    struct Failure: Error, Equatable { let index: Int }
    #expect(throws: Failure(index: 3)) {
      _ = try Replications.concurrentMap(count: 16) { index in
        if index >= 3 { throw Failure(index: index) }
        return index
      }
    }
  }

  // MARK: Report text

  /// Values that round to zero print unsigned.
  @Test func valuesRoundingToZeroHaveNoSign() {
    #expect(Cell.gap(-0.0004) == "0.0%")
    #expect(Cell.gap(-0.0) == "0.0%")
    #expect(Cell.gap(0.0004) == "0.0%")
    #expect(Cell.gap(-0.0006) == "−0.1%")
    #expect(Format.percent(-0.0001) == "0.0%")
    #expect(Format.percent(-0.0) == "0.0%")
    #expect(Units.threeSignificant(-0.0) == "0")
    #expect(Units.threeSignificant(-0.001) == "0.00")
    #expect(Units.threeSignificant(-0.01) == "-0.01")
    #expect(Units.formatSeconds(-0.0) == "0 s")
  }

  static func hasNegativeZero(_ text: String) -> Bool {
    text.contains("−0.0%") || text.contains("-0.0") || text.contains("−0.0 ") || text.contains("| -0 ")
  }

  /// A plan whose gaps and figures round to zero renders without a signed zero.
  @Test func reportWithZeroGapsPrintsNoSignedZero() throws {
    var report = try SmallPlan.report()
    for index in report.plan.shortlist.indices {
      for row in report.plan.shortlist[index].gap.indices {
        report.plan.shortlist[index].gap[row].relativeGap = -0.0004
      }
      report.plan.shortlist[index].result.successRate = -0.0
    }
    let markdown = PlanMarkdown.render(report)
    #expect(!Self.hasNegativeZero(markdown))
    #expect(markdown.contains("0.0%"))
  }

  static func tableLines(_ markdown: String) -> [String] {
    var inFence = false
    var lines: [String] = []
    for line in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
      if line.hasPrefix("```") { inFence.toggle() }
      if !inFence, line.hasPrefix("|") { lines.append(line) }
    }
    return lines
  }

  @Test func everyPlanReportTableLineFitsTheWidth() throws {
    let markdown = PlanMarkdown.render(try SmallPlan.report())
    let lines = Self.tableLines(markdown)
    #expect(!lines.isEmpty)
    for line in lines { #expect(line.count <= MarkdownTable.maxLineWidth, "\(line.count): \(line)") }
    ReportTests.checkStructure(markdown)
  }

  static func validationMarkdown(_ result: ValidationResult) throws -> String {
    let report = try ValidationReport(
      validation: result, inputFiles: [], baseDirectory: Fixtures.repositoryRoot, command: "llmplan validate")
    return ValidationMarkdown.render(report)
  }

  @Test func everyValidationReportTableLineFitsTheWidth() throws {
    let request = try Self.dpScalingRequest()
    let layout = Layout(tp: 1, pp: 1, dp: 1)
    let capacity = try Self.capacity(request, layout)
    let rates = [0.1, 0.5, 0.9, 1.3].map { Validator.twoSignificant($0 * capacity) }
    let result = try Validator(request).validate(layouts: [layout], rates: rates, replications: 3)
    let markdown = try Self.validationMarkdown(result)
    for line in Self.tableLines(markdown) {
      #expect(line.count <= MarkdownTable.maxLineWidth, "\(line.count): \(line)")
    }
    #expect(!Self.hasNegativeZero(markdown))
    ReportTests.checkStructure(markdown)
    // The JSON carries the counts and every interval.
    let json = try ValidationReport(
      validation: result, inputFiles: [], baseDirectory: Fixtures.repositoryRoot, command: "llmplan validate"
    ).json()
    for key in ["\"comparedPoints\"", "\"notComparedPoints\"", "\"comparison\"", "\"simulatedInterval\"", "\"seeds\""] {
      #expect(json.contains(key), "JSON lacks \(key)")
    }
  }

  /// A table wider than the limit becomes parts that each repeat the key column, fit the
  /// width, and together hold every other column exactly once, rows in the same order.
  @Test func wideTableSplitsSharingTheKeyColumn() {
    let headers = ["key"] + (1...12).map { "column \($0)" }
    var table = MarkdownTable(headers)
    for row in 0..<3 { table.append(["row \(row)"] + (1...12).map { "value \(row).\($0) xxxxx" }) }
    let rendered = table.rendered
    let parts = rendered.components(separatedBy: "\n\n")
    #expect(parts.count >= 2)
    var seen: [String] = []
    for part in parts {
      let lines = part.split(separator: "\n").map(String.init)
      #expect(lines.count == 5, "header, rule and three rows")
      #expect(lines[0].hasPrefix("| key "))
      for (index, line) in lines.dropFirst(2).enumerated() { #expect(line.hasPrefix("| row \(index) ")) }
      for line in lines { #expect(line.count <= MarkdownTable.maxLineWidth) }
      seen += lines[0].split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        $0.hasPrefix("column")
      }
    }
    #expect(seen == (1...12).map { "column \($0)" })
    // A narrow table stays one table.
    var narrow = MarkdownTable(["a", "b"])
    narrow.append(["1", "2"])
    #expect(!narrow.rendered.contains("\n\n"))
  }
}
