import Foundation
import PlanCore
import Testing

@testable import llmplan

/// Quantity flags obey the same plausibility table as the files (docs/FILE-FORMATS.md): a value
/// outside it is refused with the flag, the value and the range, before anything runs.
@Suite struct FlagRangeTests {
  static let estimate = [
    "estimate", "--catalog", CLIRunner.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--prompt",
    "100", "--output", "10",
  ]

  @Test func anAbsurdLatencyObjectiveIsRefusedWithItsRange() throws {
    // 1e308 µs would be 1e302 s, past the one-hour ceiling of a latency objective.
    let run = try CLIRunner.run(Self.estimate + ["--ttft-slo", "1e308 us"])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--ttft-slo") && run.errorLine.contains(Plausibility.sloTime.description))
  }

  @Test func anAbsurdRateIsRefusedWithItsRange() throws {
    let run = try CLIRunner.run(Self.estimate + ["--rate", "1e300"])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--rate") && run.errorLine.contains(Plausibility.rate.description))
  }

  @Test func aGammaCVBeyondWhatTheSamplerRepresentsIsRefused() throws {
    #expect(throws: (any Error).self) { try FlagCheck.arrival("gamma:21") }
    #expect(try FlagCheck.arrival("gamma:20") == .gamma(coefficientOfVariation: 20))
  }
}

/// `comm`'s text lists a large group's GPUs in a line a terminal can show.
@Suite struct CommTextTests {
  @Test func longListsKeepTheirEndsAndCount() {
    let names = (0..<4096).map { "gpu\($0)" }
    let line = CommReport.abbreviated(names, separator: ", ")
    #expect(line.hasPrefix("gpu0, gpu1, gpu2, gpu3, gpu4, gpu5, gpu6, gpu7, …, gpu4094, gpu4095"))
    #expect(line.hasSuffix("(4096 in all)"))
    // Up to 16 items are shown whole.
    let short = (0..<16).map(String.init)
    #expect(CommReport.abbreviated(short, separator: " → ") == short.joined(separator: " → "))
  }
}
