import Foundation
import Testing

@testable import PlanCore

/// Scenario files, traces and layouts: sizes, times and token counts are bounded before use.
@Suite struct ScenarioLimitsTests {
  static let base = """
    model: llama-2-7b
    gpu: a100-80gb-sxm
    workload: {rate: 2, prompt: 100, output: 50}
    duration: 60 s

    """

  func scenario(_ extra: String, base: String = Self.base) throws -> (path: String, run: () throws -> Scenario) {
    let path = try Fixtures.write(base + extra, name: "scenario.yaml")
    return (path, { try Scenario.load(path) })
  }

  @Test func pipelineOfTenToTheTwelveStagesIsRefused() throws {
    let (path, run) = try scenario("layout: {tp: 1, pp: 1000000000000, dp: 1}\n")
    expectCatalogError(file: path, field: "layout.pp", reasonContains: ["1000000000000", "1 … 1,048,576"]) {
      _ = try run()
    }
  }

  @Test func layoutWhoseProductOverflowsIsRefused() throws {
    // Each degree is allowed, the product (2⁶⁰ GPUs) is not.
    let (path, run) = try scenario("layout: {tp: 1048576, pp: 1024, dp: 1024}\n")
    expectCatalogError(file: path, field: "layout", reasonContains: ["needs more than 1,048,576 GPUs"]) {
      _ = try run()
    }
  }

  @Test func anchorBombIsRefusedQuickly() throws {
    // Nine nested aliases, each nine times the previous: 9¹² nodes once expanded.
    var text = Self.base + "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    for level in 1...12 {
      let previous = "*a\(level - 1)"
      text += "a\(level): &a\(level) [" + Array(repeating: previous, count: 9).joined(separator: ", ") + "]\n"
    }
    let path = try Fixtures.write(text, name: "bomb.yaml")
    let started = Date()
    expectCatalogError(file: path, field: "", reasonContains: ["more than 1,000,000 nodes", "aliases"]) {
      _ = try Scenario.load(path)
    }
    // The budget walk stops after 10⁶ nodes; expanding would take minutes and gigabytes.
    #expect(Date().timeIntervalSince(started) < 20)
  }

  @Test func aliasesWithinTheBudgetStillWork() throws {
    let text = """
      model: llama-2-7b
      workload:
        rate: 2
        profiles:
          - &chat {name: chat, prompt: 100, output: 50}
          - *chat
      duration: 60 s

      """
    let path = try Fixtures.write(text, name: "alias.yaml")
    #expect(try Scenario.load(path).workload.profiles.count == 2)
  }

  @Test func rateOfTenToThe308IsRefused() throws {
    let text = Self.base.replacingOccurrences(of: "rate: 2", with: "rate: 1e308")
    let (path, run) = try scenario("", base: text)
    expectCatalogError(file: path, field: "workload.rate", reasonContains: ["1e+308", "0.000001 … 1000000"]) {
      _ = try run()
    }
  }

  @Test func gammaCVOfTenToTheNineIsRefused() throws {
    let text = Self.base.replacingOccurrences(of: "rate: 2,", with: "rate: 2, arrival: {type: gamma, cv: 1000000000},")
    let (path, run) = try scenario("", base: text)
    expectCatalogError(file: path, field: "workload.arrival.cv", reasonContains: ["1000000000", "0.01 … 20"]) {
      _ = try run()
    }
  }

  @Test func promptOfATrillionTokensIsRefused() throws {
    let text = Self.base.replacingOccurrences(of: "prompt: 100", with: "prompt: 1000000000000")
    let (path, run) = try scenario("", base: text)
    expectCatalogError(
      file: path, field: "workload.prompt", reasonContains: ["1000000000000", "1 … 100,000,000"]
    ) { _ = try run() }
    #expect(throws: CatalogError.self) { try LengthDistribution.parse("9223372036854775807", option: "--prompt") }
    #expect(throws: CatalogError.self) { try LengthDistribution.parse("1000000000000", option: "--prompt") }
  }

  @Test func durationOfTenToThe308SecondsIsRefused() throws {
    let text = Self.base.replacingOccurrences(of: "duration: 60 s", with: "duration: 1e308 s")
    let (path, run) = try scenario("", base: text)
    expectCatalogError(file: path, field: "duration", reasonContains: ["\"1e308 s\"", "0 s … 720 h"]) {
      _ = try run()
    }
  }

  @Test func unknownScenarioFieldNamesTheNearest() throws {
    let (path, run) = try scenario("gpu_budgt: 8\n")
    expectCatalogError(file: path, field: "gpu_budgt", reasonContains: ["did you mean gpu_budget?"]) {
      _ = try run()
    }
  }

  @Test func traceArrivalOfTenToThe308IsRefused() throws {
    let trace = "arrival_seconds,prompt_tokens,output_tokens\n0,10,10\n1e308,10,10\n"
    let tracePath = try Fixtures.write(trace, name: "trace.csv")
    expectCatalogError(
      file: tracePath, field: "line 3, column 1 (arrival_seconds)", reasonContains: ["1e308", "0 s … 720 h"]
    ) { _ = try TraceFile.load(tracePath) }
  }
}

/// Layouts: degrees and their product are checked with overflow-free arithmetic.
@Suite struct LayoutLimitsTests {
  @Test func dpOfTwoToTheSixtyTwoTimesPPFourIsAnErrorNotATrap() throws {
    #expect(throws: LayoutError.self) { try Layout.checked(tp: 1, pp: 4, dp: 4_611_686_018_427_387_904) }
    // A raw layout reaching `validate` is refused before TP·PP·DP is formed.
    let layout = Layout(tp: 1, pp: 4, dp: 4_611_686_018_427_387_904)
    let model = try Fixtures.catalog.model("llama-2-7b")
    do {
      try layout.validate(model: model, cluster: nil)
      Issue.record("expected a LayoutError")
    } catch let error as LayoutError {
      #expect(error.reason.contains("DP=4611686018427387904 is outside 1 … 1,048,576"))
    }
  }

  @Test func elevenDigitDegreesAreRefused() throws {
    do {
      _ = try Layout.checked(tp: 99_999_999_999, pp: 99_999_999_999, dp: 99_999_999_999)
      Issue.record("expected a LayoutError")
    } catch let error as LayoutError {
      #expect(error.reason == "TP=99999999999 is outside 1 … 1,048,576, the range of a parallel degree")
    }
  }

  @Test func theLargestAllowedLayoutIsAccepted() throws {
    #expect(try Layout.checked(tp: 8, pp: 128, dp: 1024).totalGPUs == 1 << 20)
  }
}

/// Malformed YAML gives a short error, not the offending line in full.
@Suite struct YAMLErrorTests {
  @Test func deeplyNestedYAMLIsAShortError() throws {
    let text = "model: x\nw: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
    let path = try Fixtures.write(text, name: "deep.yaml")
    do {
      _ = try Scenario.load(path)
      Issue.record("expected an error")
    } catch let error as CatalogError {
      #expect(error.reason.hasPrefix("not valid YAML"))
      #expect(error.description.count < 600)
    }
  }
}
