import Foundation
import PlanCore
import Planner
import Reporting
import Testing

/// Requests longer than the model's context window are refused, naming what to change.
@Suite struct ContextWindowTests {
  /// Llama-2-7B: max_position_embeddings 4096.
  static func model() throws -> ModelSpec { try Fixtures.catalog.model("llama-2-7b") }

  @Test func aRequestOfExactlyTheWindowIsAcceptedOneTokenMoreIsNot() throws {
    let model = try Self.model()
    #expect(model.maxPositionEmbeddings == 4096)
    try model.checkContextWindow(promptTokens: 4000, outputTokens: 96)
    #expect(throws: ContextWindowError.self) { try model.checkContextWindow(promptTokens: 4000, outputTokens: 97) }
    // Int.max + 1 saturates instead of trapping.
    #expect(throws: ContextWindowError.self) { try model.checkContextWindow(promptTokens: Int.max, outputTokens: 1) }
  }

  @Test func aMixIsRefusedWhenAnyProfileCanExceedTheWindow() throws {
    let model = try Self.model()
    // Uniform 3000–4000 prompts with up to 200 output tokens: the longest request is 4200.
    let workload = Workload(
      rateRequestsPerSecond: 1,
      profiles: [
        ClientProfile(name: "chat", prompt: .fixed(100), output: .fixed(100)),
        ClientProfile(name: "docs", prompt: .uniform(low: 3000, high: 4000), output: .uniform(low: 10, high: 200)),
      ])
    do {
      try workload.checkContextWindow(model: model, source: .scenarioFile("s.yaml"))
      Issue.record("a profile reaching 4200 tokens must be refused on a 4096-token model")
    } catch let error as ContextWindowError {
      #expect(error.tokens == 4200 && error.limitTokens == 4096)
      #expect(error.description.contains("s.yaml: workload.profiles[1] (docs)"))
    }
    try Workload(rateRequestsPerSecond: 1, profiles: [workload.profiles[0]]).checkContextWindow(
      model: model, source: .flags)
  }

  @Test func aTraceIsRefusedCountingItsLongRequests() throws {
    let model = try Self.model()
    let trace = [
      TraceRequest(arrivalSeconds: 0, promptTokens: 100, outputTokens: 10),
      TraceRequest(arrivalSeconds: 1, promptTokens: 5000, outputTokens: 10),
      TraceRequest(arrivalSeconds: 2, promptTokens: 4096, outputTokens: 1),
    ]
    let workload = Workload(rateRequestsPerSecond: 0, arrival: .trace, profiles: [], trace: trace)
    do {
      try workload.checkContextWindow(model: model, source: .flags, tracePath: "/tmp/t.csv")
      Issue.record("trace requests longer than 4096 tokens must be refused")
    } catch let error as ContextWindowError {
      #expect(error.exceedingRequests == 2 && error.totalRequests == 3 && error.tokens == 5010)
      #expect(error.description.contains("t.csv: request 2"))
    }
  }

  @Test func aPlanRequestRefusesAWorkloadBeyondTheWindow() throws {
    let scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(8000),
      output: .fixed(100), budget: 8)
    #expect(throws: ContextWindowError.self) { _ = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog) }
  }
}

/// The rules every LLMPlan writer follows (`OutputFile`): never overwrite a user's file unless
/// forced, never replace a directory, device or pipe, write through a temporary file.
@Suite struct OutputFileTests {
  static func report(_ body: String) -> String { ReportFile.marker + "\n" + body }

  @Test func aUsersFileIsKeptUnlessForcedAndOursIsReplaced() throws {
    let directory = try Fixtures.temporaryDirectory()
    let path = directory + "/notes.md"
    try "mine\n".write(toFile: path, atomically: true, encoding: .utf8)
    #expect(throws: ReportError.self) { try ReportFile.write(Self.report("a"), to: path, force: false) }
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "mine\n")
    try ReportFile.write(Self.report("b"), to: path, force: true)
    try ReportFile.write(Self.report("c"), to: path, force: false)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.report("c"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["notes.md"])
  }

  @Test func anInputFileIsNotOverwrittenEvenIfLLMPlanWroteIt() throws {
    let directory = try Fixtures.temporaryDirectory()
    let path = directory + "/gpu.json"
    try "{}".write(toFile: path, atomically: true, encoding: .utf8)
    do {
      try OutputFile.write(
        Data("{}".utf8), to: path, force: false, flag: "--out", what: "the file", isGenerated: { _ in true },
        inputs: [("--gpu", path)])
      Issue.record("writing over the command's own input needs --force")
    } catch let error as ReportError {
      #expect(error.description.contains("--gpu"))
    }
  }

  @Test func aSymbolicLinkIsFollowedNotReplaced() throws {
    let directory = try Fixtures.temporaryDirectory()
    let target = directory + "/target.md"
    let link = directory + "/link.md"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
    try ReportFile.write(Self.report("x"), to: link, force: false)
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
    #expect(try String(contentsOfFile: target, encoding: .utf8) == Self.report("x"))
  }

  @Test func directoriesPipesAndEmptyPathsAreNotReplaced() throws {
    let directory = try Fixtures.temporaryDirectory()
    #expect(throws: ReportError.self) { try ReportFile.write(Self.report("x"), to: directory, force: true) }
    #expect(throws: ReportError.self) { try ReportFile.write(Self.report("x"), to: "", force: true) }
    // A FIFO nobody reads: refused at once (never blocking, never replaced by a regular file).
    let fifo = directory + "/pipe"
    #expect(mkfifo(fifo, 0o600) == 0)
    #expect(throws: ReportError.self) { try ReportFile.write(Self.report("x"), to: fifo, force: true) }
    var info = stat()
    #expect(stat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
    // A character device is written in place: /dev/null stays /dev/null.
    try ReportFile.write(Self.report("x"), to: "/dev/null", force: false)
    #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
  }

  @Test func anEmptyOrHiddenScenarioNameGivesNoReportPath() throws {
    #expect(throws: ReportError.self) { _ = try ReportFile.defaultPath(scenarioName: "") }
    #expect(throws: ReportError.self) { _ = try ReportFile.defaultPath(scenarioName: "  ") }
    #expect(throws: ReportError.self) { _ = try ReportFile.defaultPath(scenarioName: ".hidden") }
    #expect(try ReportFile.defaultPath(scenarioName: "a/b") == "Reports/a-b.md")
  }
}
