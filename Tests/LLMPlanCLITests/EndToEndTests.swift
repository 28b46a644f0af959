import Foundation
import Testing

@testable import llmplan

/// The commands run as a user runs them (the built executable, a scratch working directory),
/// checking exit statuses, stdout JSON and one-line errors. Workloads are small (one GPU,
/// seconds of simulated traffic) so the suite stays fast.
@Suite struct EndToEndTests {
  static let catalog = CLIRunner.catalog

  /// A small planning question: Llama-2-7B on one A100-80GB, short requests, 10 s simulated.
  static let smallPlan = [
    "--catalog", catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--rate", "1", "--prompt", "100",
    "--output", "50", "--duration", "10 s", "--warmup", "1 s", "--drain", "10 s", "--gpu-budget", "1",
  ]

  static func run(_ arguments: [String], in directory: URL? = nil) throws -> CLIRunner.Run {
    try CLIRunner.run(arguments, in: directory)
  }

  // MARK: exit statuses

  @Test func exitStatusesAreDistinctAndUsageIsArgumentParsersOwn() {
    let codes = LLMPlanExit.allCases.map(\.rawValue)
    #expect(Set(codes).count == codes.count)
    #expect(LLMPlanExit.success.rawValue == 0 && LLMPlanExit.inputError.rawValue == 1)
    // swift-argument-parser's validation failure is EX_USAGE (64) from sysexits.h.
    #expect(
      LLMPlanExit.usage.rawValue == LLMPlanExit.argumentParserValidationFailure && LLMPlanExit.usage.rawValue == 64)
    #expect(LLMPlanExit.noFeasibleLayout != LLMPlanExit.noLayoutMeetsSLO)
  }

  @Test func helpListsEveryExitStatus() throws {
    let help = try Self.run(["--help"])
    #expect(help.status == 0)
    for code in LLMPlanExit.allCases { #expect(help.stdout.contains("\(code.rawValue)"), "\(code)") }
    #expect(help.stdout.contains("Exit status"))
  }

  @Test func versionPrintsTheVersionConstant() throws {
    let run = try Self.run(["--version"])
    #expect(run.status == 0)
    #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == LLMPlanVersion.current)
  }

  @Test func mistypedCommandSuggestsTheNearestAndIsAUsageError() throws {
    let run = try Self.run(["recomend"])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("did you mean 'recommend'?"))
    #expect(CommandSuggestion.nearest(to: "simualte", in: LLMPlan.subcommandNames) == "simulate")
    #expect(CommandSuggestion.nearest(to: "xyzzy", in: LLMPlan.subcommandNames) == nil)
    let nested = CommandSuggestion.unknownCommandMessage(["bench", "simulat"], command: LLMPlan.self)
    #expect(nested?.contains("did you mean 'simulate'?") == true, "\(nested ?? "nil")")
    #expect(CommandSuggestion.unknownCommandMessage(["bench", "simulate"], command: LLMPlan.self) == nil)
    #expect(CommandSuggestion.unknownCommandMessage(["models", "llama-2-7b"], command: LLMPlan.self) == nil)
  }

  @Test func negativeRateIsRefusedAsNotPositiveNotAsMissing() throws {
    var arguments = Self.smallPlan
    arguments[arguments.firstIndex(of: "--rate")! + 1] = "-3"
    let run = try Self.run(["recommend"] + arguments)
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--rate must be a positive"), "\(run.stderr)")
    #expect(!run.stderr.contains("Missing value"))
    let tp = try Self.run([
      "estimate", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm",
      "--prompt", "100", "--output", "10", "--tp", "-2",
    ])
    #expect(tp.status == LLMPlanExit.usage.rawValue && tp.errorLine.contains("--tp must be at least 1"))
  }

  @Test func aGammaArrivalTooBurstyToSimulateIsRefusedAtOnce() throws {
    // CV 10⁹ is shape 10⁻¹⁸: bursts of ~10¹⁸ simultaneous requests, more than memory holds.
    let run = try Self.run([
      "simulate", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--rate", "2",
      "--prompt", "100", "--output", "20", "--duration", "10 s", "--arrival", "gamma:1e9",
    ])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("coefficient of variation in 0.01 … 20"))
  }

  @Test func malformedSLOIsRefusedEvenWithoutARate() throws {
    let run = try Self.run([
      "estimate", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--prompt", "100",
      "--output", "10", "--ttft-slo", "2 parsecs",
    ])
    #expect(run.status == LLMPlanExit.usage.rawValue)
    #expect(run.errorLine.contains("--ttft-slo"))
  }

  @Test func recommendExitsZeroWhenALayoutMeetsTheSLO() throws {
    // One A100-80GB serves 1 req/s of 100 + 50 tokens with room to spare: 13.5 GB of weights,
    // a prefill of ~1.3 TFLOP in well under 2 s, decode steps of ~13.5 GB / 2 TB/s ≈ 7 ms.
    let run = try Self.run(["recommend"] + Self.smallPlan + ["--top-k", "1", "--no-max-rate-search", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let plan = try #require(try run.object()["plan"] as? [String: Any])
    let recommendation = try #require(plan["recommendation"] as? [String: Any])
    #expect(recommendation["basis"] as? String == "simulation")
  }

  @Test func recommendExitsNoFeasibleLayoutWhenNothingFits() throws {
    // Llama-2-70B holds 69·10⁹ × 2 B ≈ 138 GB of fp16 weights: no single 40 GB A100 can.
    let run = try Self.run([
      "recommend", "--catalog", Self.catalog, "--model", "llama-2-70b", "--gpu", "a100-40gb-sxm", "--rate", "1",
      "--prompt", "100", "--output", "50", "--duration", "10 s", "--warmup", "1 s", "--drain", "10 s",
      "--gpu-budget", "1", "--no-max-rate-search", "--json",
    ])
    #expect(run.status == LLMPlanExit.noFeasibleLayout.rawValue, "\(run.stderr)")
    #expect(run.stderr.contains("no feasible layout"))
  }

  @Test func recommendExitsNoLayoutMeetsSLOWhenTheSLOIsOutOfReach() throws {
    // A TTFT objective of 1 µs is below the prefill of even one token of a 7B model (≥ 13.5 GB
    // of weights read at 2 TB/s ≈ 7 ms).
    let run = try Self.run(
      ["recommend"] + Self.smallPlan + ["--ttft-slo", "1 us", "--top-k", "1", "--no-max-rate-search", "--json"])
    #expect(run.status == LLMPlanExit.noLayoutMeetsSLO.rawValue, "\(run.stderr)")
    #expect(run.stderr.contains("no layout meets the SLO"))
  }

  // MARK: context window

  @Test func recommendRefusesPromptsLongerThanTheContextWindow() throws {
    // Llama-2 has max_position_embeddings 4096: 8000 + 100 tokens cannot be served.
    var arguments = ["recommend"] + Self.smallPlan + ["--json"]
    arguments[arguments.firstIndex(of: "--prompt")! + 1] = "8000"
    let run = try Self.run(arguments)
    #expect(run.status == LLMPlanExit.inputError.rawValue)
    #expect(run.errorLine.contains("--prompt 8000") && run.errorLine.contains("4096"), "\(run.stderr)")
    #expect(!run.stdout.contains("meets SLO"))
  }

  @Test func estimateRefusesAMillionTokenPromptAndAnOverflowingOne() throws {
    for prompt in ["1000000", "9223372036854775807"] {
      let run = try Self.run([
        "estimate", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--prompt", prompt,
        "--output", "1",
      ])
      #expect(run.status == LLMPlanExit.inputError.rawValue, "\(prompt): \(run.stderr)")
      #expect(run.errorLine.contains("--prompt \(prompt)") && run.errorLine.contains("4096"))
      #expect(!run.stdout.contains("fits"))
    }
  }

  @Test func estimateDoesNotSayFitsWhenNoFullLengthRequestFits() throws {
    // Llama-2-13B on a 40 GB A100 at 76 %: a 30.4 GB budget less 26.0 GB of fp16 weights, the
    // activations and the 1 GB runtime reserve leaves ~2.5 GB, at 2·40·5120·2 = 819,200 B per
    // token about 3,000 tokens of KV cache: less than one 3500 + 500-token request.
    let run = try Self.run([
      "estimate", "--catalog", Self.catalog, "--model", "llama-2-13b", "--gpu", "a100-40gb-sxm", "--prompt", "3500",
      "--output", "500", "--gpu-memory-utilization", "0.76",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let memory = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("Memory per GPU:") })
    #expect(!memory.contains(": fits") && memory.contains("not one full-length request"), "\(memory)")
  }

  // MARK: flags over scenario fields

  static let scenarioYAML = """
    name: tiny
    model: llama-2-7b
    gpu: a100-80gb-sxm
    workload: {rate: 2, prompt: 100, output: 20}
    duration: 5 s
    warmup: 1 s
    drain: 10 s
    """

  @Test func simulateFlagsOverrideTheScenarioLayout() throws {
    let directory = try CLIRunner.scratch()
    let file = directory.appendingPathComponent("tiny.yaml")
    try Self.scenarioYAML.write(to: file, atomically: true, encoding: .utf8)
    // The scenario has no layout: --dp alone gives TP1·PP1·DP2, two replicas.
    let run = try Self.run(["simulate", "--catalog", Self.catalog, "--scenario", file.path, "--dp", "2", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let replicas = try #require(try run.object()["replicas"] as? [Any])
    #expect(replicas.count == 2)
    // Every request of a 2 req/s, 5 s window is admitted by two replicas with room to spare.
    let withLayout = Self.scenarioYAML + "\nlayout: {tp: 1, pp: 1, dp: 1}\n"
    try withLayout.write(to: file, atomically: true, encoding: .utf8)
    let overridden = try Self.run([
      "simulate", "--catalog", Self.catalog, "--scenario", file.path, "--dp", "2", "--rate", "1", "--json",
    ])
    #expect(overridden.status == 0, "\(overridden.stderr)")
    #expect((try overridden.object()["replicas"] as? [Any])?.count == 2)
  }

  @Test func simulateRefusesAScenarioLongerThanTheContextWindowNamingTheField() throws {
    let directory = try CLIRunner.scratch()
    let file = directory.appendingPathComponent("long.yaml")
    let yaml =
      Self.scenarioYAML.replacingOccurrences(
        of: "workload: {rate: 2, prompt: 100, output: 20}",
        with:
          "workload:\n  rate: 2\n  profiles:\n    - {name: chat, prompt: 100, output: 20}\n    - {name: book, prompt: 4000, output: 200}"
      )
      + "\nlayout: {tp: 1, pp: 1, dp: 1}\n"
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    let run = try Self.run(["simulate", "--catalog", Self.catalog, "--scenario", file.path, "--json"])
    #expect(run.status == LLMPlanExit.inputError.rawValue)
    #expect(run.errorLine.contains("workload.profiles[1] (book)") && run.errorLine.contains("4200"), "\(run.stderr)")
  }

  // MARK: the other commands, end to end

  @Test func estimateJSONCarriesTheLayoutAndFit() throws {
    let run = try Self.run([
      "estimate", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--prompt", "100",
      "--output", "50", "--rate", "1", "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try run.object()
    // 13.5 GB of weights in 0.9 × 80 GB: fits, and the request is inside the 4096-token window.
    #expect(object["fits"] as? Bool == true && object["gpusTotal"] as? Int == 1)
    #expect(object["withinContextWindow"] as? Bool == true && object["load"] is [String: Any])
  }

  @Test func commJSONBusBandwidthIsTheAlgorithmBandwidthTimesTheRingFactor() throws {
    let run = try Self.run([
      "comm", "--catalog", Self.catalog, "--cluster", "dgx-a100", "--collective", "all_reduce", "--bytes", "16 MB",
      "--gpus", "8", "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try run.object()
    #expect((object["gpus"] as? [Int])?.count == 8)
    // NCCL's definition: all-reduce bus bandwidth = algorithm bandwidth × 2(n−1)/n = × 1.75 for n = 8.
    let algorithm = try #require(object["algorithmBytesPerSecond"] as? Double)
    let bus = try #require(object["busBytesPerSecond"] as? Double)
    #expect(abs(bus / algorithm - 1.75) < 1e-9)
  }

  @Test func opsJSONCountsTheQKVProjectionFLOPs() throws {
    let run = try Self.run([
      "ops", "--catalog", Self.catalog, "--model", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--tokens", "128", "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let operators = try #require(try run.object()["operators"] as? [[String: Any]])
    let qkv = try #require(operators.first { $0["name"] as? String == "qkv_proj" })
    // 2 · tokens · d_model · 3·d_model = 2 · 128 · 4096 · 12288 FLOPs (Llama-2-7B, 32 full heads).
    let flops: Double = 2 * 128 * 4096 * 12288
    #expect(qkv["flops"] as? Double == flops)
  }

  @Test func opsJSONListsTheMoELayersRoutedExperts() throws {
    let run = try Self.run([
      "ops", "--catalog", Self.catalog, "--model", "mixtral-8x7b", "--gpu", "h100-80gb-sxm", "--tokens", "128",
      "--json",
    ])
    #expect(run.status == 0, "\(run.stderr)")
    let object = try run.object()
    // Mixtral-8x7B: every one of its 32 layers is an MoE layer.
    #expect(object["expertLayers"] as? Int == 32)
    let operators = try #require(object["operators"] as? [[String: Any]])
    let experts = try #require(
      operators.first { $0["name"] as? String == "moe_experts" && $0["scope"] as? String == "expertLayer" })
    // Routed experts, gated: 2 · tokens · top-2 · 3 · d_model · d_expert (TP 1, EP 1).
    let flops: Double = 2 * 128 * 2 * 3 * 4096 * 14336
    #expect(experts["flops"] as? Double == flops)
  }

  @Test func validateJSONRunsOneLayoutAtOneRate() throws {
    let run = try Self.run(
      ["validate"] + Self.smallPlan + ["--layouts", "1x1x1", "--rates", "1", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let validation = try #require(try run.object()["validation"] as? [String: Any])
    #expect((validation["layouts"] as? [Any])?.count == 1)
  }

  @Test func scenariosListsTheReferenceScenarios() throws {
    let run = try Self.run(["scenarios", "list", "--json"])
    #expect(run.status == 0, "\(run.stderr)")
    let entries = try run.array().compactMap { ($0 as? [String: Any])?["name"] as? String }
    #expect(!entries.isEmpty && Set(entries).count == entries.count)
    let unknown = try Self.run(["scenarios", "run", "no-such-scenario", "--catalog", Self.catalog])
    #expect(unknown.status == LLMPlanExit.inputError.rawValue && !unknown.errorLine.isEmpty)
  }

  // MARK: files

  @Test func recommendReportOntoAUsersFileNeedsForce() throws {
    let directory = try CLIRunner.scratch()
    let mine = directory.appendingPathComponent("notes.md")
    let text = "# My capacity notes\nDo not lose these.\n"
    try text.write(to: mine, atomically: true, encoding: .utf8)
    let arguments = ["recommend"] + Self.smallPlan + ["--top-k", "1", "--no-max-rate-search", "--report", mine.path]
    let refused = try Self.run(arguments, in: directory)
    #expect(refused.status == LLMPlanExit.inputError.rawValue)
    #expect(refused.errorLine.contains("refusing to overwrite"))
    #expect(try String(contentsOf: mine, encoding: .utf8) == text)
    let forced = try Self.run(arguments + ["--force"], in: directory)
    #expect(forced.status == 0, "\(forced.stderr)")
    #expect(try String(contentsOf: mine, encoding: .utf8).hasPrefix("<!-- generated by llmplan"))
    // Now it is LLMPlan's own report: rewritten without --force.
    #expect(try Self.run(arguments, in: directory).status == 0)
    // No temporary file is left beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["notes.md"])
  }

  @Test func recommendJSONWritesNoMarkdownUnlessAsked() throws {
    let directory = try CLIRunner.scratch()
    let run = try Self.run(
      ["recommend"] + Self.smallPlan + ["--top-k", "1", "--no-max-rate-search", "--json"], in: directory)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("Reports").path))
  }

  @Test func emptyReportPathAndEmptyScenarioNameAreRefused() throws {
    let directory = try CLIRunner.scratch()
    let empty = try Self.run(["recommend"] + Self.smallPlan + ["--report", ""], in: directory)
    #expect(empty.status == LLMPlanExit.inputError.rawValue)
    #expect(empty.errorLine.contains("--report: the path is empty") && !empty.stderr.contains("NSCocoaErrorDomain"))
    let file = directory.appendingPathComponent("nameless.yaml")
    try (Self.scenarioYAML.replacingOccurrences(of: "name: tiny", with: "name: \"\"")).write(
      to: file, atomically: true, encoding: .utf8)
    let nameless = try Self.run(
      ["recommend", "--catalog", Self.catalog, "--scenario", file.path, "--gpu-budget", "1"], in: directory)
    #expect(nameless.status == LLMPlanExit.inputError.rawValue)
    #expect(nameless.errorLine.contains("report file name"))
    #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("Reports/.md").path))
  }

  @Test func clusterThatCannotBeWrittenAsJSONGivesOneLine() throws {
    let directory = try CLIRunner.scratch()
    let clusters = directory.appendingPathComponent("clusters")
    try FileManager.default.createDirectory(at: clusters, withIntermediateDirectories: true)
    let cluster = """
      {"display_name": "infinite", "gpu": "a100-80gb-sxm", "nodes": [{"name": "node0", "gpus": 2}],
       "links": [{"from": "node0/gpu0", "to": "node0/gpu1", "bandwidth": "1e300 GB/s", "latency": "1 us"}]}
      """
    try cluster.write(to: clusters.appendingPathComponent("inf.json"), atomically: true, encoding: .utf8)
    let run = try Self.run(["clusters", "--json", clusters.appendingPathComponent("inf.json").path], in: directory)
    // Refused when read (a bandwidth out of range) or when written (JSON has no infinity):
    // either way one readable line, never a Swift EncodingError dump.
    #expect(run.status == LLMPlanExit.inputError.rawValue, "\(run.stdout)")
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(!run.stderr.contains("EncodingError") && !run.stderr.contains("codingPath"))
  }

  @Test func foundationAndEncodingErrorsBecomeOneReadableLine() {
    struct Link: Encodable { var bytesPerSecond: Double }
    do {
      _ = try JSONOutput.string([Link(bytesPerSecond: .infinity)])
      Issue.record("JSON has no infinity")
    } catch {
      #expect(
        UserFacingError.oneLine(error)
          == "cannot write the JSON output: [0].bytesPerSecond is inf, which JSON cannot represent")
    }
    do {
      _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent/llmplan/file.json"))
      Issue.record("no such file")
    } catch {
      let line = UserFacingError.oneLine(error)
      #expect(line.contains("/nonexistent/llmplan/file.json") && !line.contains("NSCocoaErrorDomain"), "\(line)")
    }
  }

  @Test func calibrateOutOntoADirectoryIsOneLine() throws {
    let directory = try CLIRunner.scratch()
    let measurements = directory.appendingPathComponent("m.csv")
    try CalibrationCommandTests.userFile.write(to: measurements, atomically: true, encoding: .utf8)
    let run = try Self.run(
      [
        "calibrate", "--catalog", Self.catalog, "--gpu", "h100-80gb-sxm", "--cluster", "dgx-h100", "--model",
        "llama-2-7b", "--measurements", measurements.path, "--out", directory.path, "--keep-physical",
      ], in: directory)
    #expect(run.status == LLMPlanExit.inputError.rawValue)
    #expect(run.errorLine.contains("is a directory") && !run.stderr.contains("NSCocoaErrorDomain"), "\(run.stderr)")
  }
}
