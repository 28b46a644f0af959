import Foundation
import PlanCore
import Planner
import Testing

/// Precision as a search dimension: the spellings the flags and scenario accept, the options
/// searched per GPU, refusals, and the launch flags each precision and EP layout needs.
@Suite struct PrecisionPlanTests {
  @Test func weightSpellingsParse() throws {
    #expect(try WeightPrecisionChoice.parse("auto", field: "f") == .search)
    #expect(try WeightPrecisionChoice.parse("FP8", field: "f") == .fixed(.fp8))
    #expect(try WeightPrecisionChoice.parse("bf16", field: "f") == .fixed(WeightPrecision(dtype: .bf16)))
    #expect(try WeightPrecisionChoice.parse(" Float16", field: "f") == .fixed(WeightPrecision(dtype: .fp16)))
    #expect(try WeightPrecisionChoice.parse("int4", field: "f") == .fixed(.int4(groupSize: 128)))
    #expect(try WeightPrecisionChoice.parse("int4-g64", field: "f") == .fixed(.int4(groupSize: 64)))
    #expect(try WeightPrecisionChoice.parse("int8-g32", field: "f") == .fixed(.int8WeightOnly(groupSize: 32)))
    // One meaning of int8 everywhere: w8a8 (int8 activations too), vLLM's int8 W8A8.
    let int8 = try WeightPrecisionChoice.parse("int8", field: "f")
    #expect(int8 == .fixed(.int8))
    #expect(WeightPrecision.int8.quantization?.quantizedActivations == true)
    #expect(WeightPrecision.int4(groupSize: 64).description == "int4-g64")
    #expect(WeightPrecision.int8.description == "int8" && WeightPrecision.int8WeightOnly().description == "int8-g128")
    for bad in ["fp4", "int3", "int4-", "bf8", "", "int4-g0", "autox"] {
      #expect(throws: PrecisionError.self, "\(bad)") { try WeightPrecisionChoice.parse(bad, field: "--weight-dtype") }
    }
    let error = #expect(throws: PrecisionError.self) { try WeightPrecisionChoice.parse("fp4", field: "--weight-dtype") }
    #expect(error?.description.contains("--weight-dtype \"fp4\"") == true)
    #expect(try KVPrecisionChoice.parse("auto", field: "k") == .search)
    #expect(try KVPrecisionChoice.parse("fp8", field: "k") == .fixed(.fp8))
    #expect(throws: PrecisionError.self) { try KVPrecisionChoice.parse("int8", field: "k") }
  }

  @Test func theChoiceReadsExactlyWhatWeightQuantizationParseReads() throws {
    // Every spelling of the one parser, fixed to the same quantization (nil: a 16-bit dtype).
    for text in [
      "bf16", "fp16", "fp8", "fp8-b128", "int8", "int4", "awq", "gptq", "int4-g32", "int4-g100", "int8-g64",
      "int4-channel", "int8-channel",
    ] {
      let choice = try WeightPrecisionChoice.parse(text, field: "f")
      guard case .fixed(let precision) = choice else {
        Issue.record("\(text) parsed as \(choice)")
        continue
      }
      let quantization = try WeightQuantization.parse(text)
      #expect(precision.quantization == quantization, "\(text)")
      #expect(precision.dtype == WeightQuantization.unquantizedDType(text), "\(text)")
    }
    // Group sizes: the Plausibility range, not a list of kernel sizes (int4-g100 is read above).
    let range = Plausibility.quantizationGroupSize
    for group in [range.lower - 1, range.upper + 1] {
      let error = #expect(throws: PrecisionError.self) {
        try WeightPrecisionChoice.parse("int4-g\(group)", field: "precision.weights")
      }
      let text = error?.description ?? ""
      #expect(text.hasPrefix("precision.weights \"int4-g\(group)\"") && !text.contains("\n"), "\(text)")
      #expect(text.contains(range.description), "\(text)")
    }
    #expect(
      try WeightPrecisionChoice.parse("int8-g\(range.upper)", field: "f")
        == .fixed(.int8WeightOnly(groupSize: range.upper)))
  }

  @Test func bytesPerWeightFollowTheFormat() {
    // On an n × n matrix (n = 8,192, a multiple of 128): AWQ int4-g128 stores 4 bits per weight
    // + per group of 128 a 2-byte fp16 scale and a 4-bit zero point; fp8 and int8 (w8a8) 1 byte
    // + one 4-byte fp32 scale per output channel of n weights; GPTQ int8-g128 1 byte + a 2-byte
    // scale and 1-byte zero point per 128 + g_idx, 4 bytes per input feature (n per n² weights).
    let n = Double(WeightPrecision.referenceMatrixWidth)
    #expect(n == 8192)
    func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * b }
    #expect(close(WeightPrecision.int4(groupSize: 128).bytesPerWeight, 0.5 + 2.5 / 128))
    #expect(close(WeightPrecision.fp8.bytesPerWeight, 1 + 4 / n))
    #expect(close(WeightPrecision.int8.bytesPerWeight, 1 + 4 / n))
    #expect(close(WeightPrecision.int8WeightOnly(groupSize: 128).bytesPerWeight, 1 + 3.0 / 128 + 4 / n))
    #expect(WeightPrecision(dtype: .bf16).bytesPerWeight == 2)
    // The same formula checkpoint sizes use: one matrix of the reference width.
    let q = WeightQuantization.int4WeightOnly(groupSize: 64)
    #expect(WeightPrecision.int4(groupSize: 64).bytesPerWeight == q.bytes(inputs: 8192, outputs: 8192) / (n * n))
  }

  @Test func appliedIsWithWeightsPlusTheDType() throws {
    let llama = try Fixtures.catalog.model("llama-2-7b")  // fp16 checkpoint
    for precision in [WeightPrecision.fp8, .int8, .int4(), .int8WeightOnly(groupSize: 64)] {
      let served = precision.applied(to: llama)
      #expect(served == llama.withWeights(precision.quantization), "\(precision)")
      #expect(served.weightBytes() == llama.quantizedWeightBytes(try #require(precision.quantization)))
    }
    // A 16-bit precision drops the quantization and sets the dtype.
    let awq = WeightPrecision.int4().applied(to: llama)
    let bf16 = WeightPrecision(dtype: .bf16).applied(to: awq)
    #expect(bf16.weightQuantization == nil && bf16.dtype == .bf16)
    #expect(bf16.weightBytes() == llama.parameterCount * 2)
  }

  @Test func searchedOptionsDependOnTheGPU() throws {
    let llama = try Fixtures.catalog.model("llama-2-7b")  // fp16 checkpoint
    let h100 = try Fixtures.catalog.gpu("h100-80gb-sxm")
    let a100 = try Fixtures.catalog.gpu("a100-80gb-sxm")
    let own = WeightPrecision(dtype: llama.dtype)
    #expect(PrecisionOptions.weightOptions(model: llama, gpu: h100, choice: .search) == [own, .fp8, .int4()])
    // An A100 has no fp8 tensor cores: fp8 is not tried.
    #expect(PrecisionOptions.weightOptions(model: llama, gpu: a100, choice: .search) == [own, .int4()])
    #expect(PrecisionOptions.weightOptions(model: llama, gpu: a100, choice: nil) == [own])
    // A checkpoint already in int4 is not re-inflated.
    let awq = WeightPrecision.int4().applied(to: llama)
    #expect(PrecisionOptions.weightOptions(model: awq, gpu: h100, choice: .search) == [.int4()])
    #expect(PrecisionOptions.kvOptions(model: llama, engine: .init(), search: true) == [llama.dtype, .fp8])
  }

  @Test func fp8WeightsOnAnA100AreRefusedInOneLineOfferingWeightOnly() throws {
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: "a100-80gb-sxm", cluster: "dgx-a100", rate: 1, prompt: .fixed(200), output: .fixed(50),
      budget: 8)
    scenario.precision.weights = .fixed(.fp8)
    let error = #expect(throws: PrecisionError.self) { try PlanRequest(scenario: scenario, catalog: Fixtures.catalog) }
    let text = error?.description ?? ""
    #expect(!text.contains("\n") && text.contains("fp8"), "\(text)")
    // Every spelling offered parses and runs there (int8-g128 and int4-g128 weight-only).
    for offered in ["int8-g128", "int4-g128"] {
      #expect(text.contains(offered), "\(text)")
      scenario.precision.weights = try WeightPrecisionChoice.parse(offered, field: "f")
      #expect(throws: Never.self) { try PlanRequest(scenario: scenario, catalog: Fixtures.catalog) }
    }
    // The A100 file lists the datasheet's dense int8 tensor rate (624 TOP/s, NVIDIA A100
    // datasheet): plain int8 (w8a8) is offered and accepted there.
    let a100 = try Fixtures.catalog.gpu("a100-80gb-sxm")
    #expect(a100.peakFLOPS(.int8) == 624e12)
    #expect(text.contains("or int8 ("), "\(text)")
    scenario.precision.weights = .fixed(.int8)
    #expect(throws: Never.self) { try PlanRequest(scenario: scenario, catalog: Fixtures.catalog) }
    // A GPU that lists no int8 peak is neither offered plain int8 nor does it accept it.
    var withoutInt8 = a100
    withoutInt8.peakFLOPSPerSecond[.int8] = nil
    let offer = #expect(throws: PrecisionError.self) {
      try WeightPrecision.fp8.checkSupported(on: withoutInt8, field: "--weight-dtype")
    }
    #expect(offer?.description.contains("or int8 (") == false)
    let int8Error = #expect(throws: PrecisionError.self) {
      try WeightPrecision.int8.checkSupported(on: withoutInt8, field: "--weight-dtype")
    }
    #expect(int8Error?.description.contains("int8-g128") == true)
  }

  @Test func searchedPrecisionsAreAllPlannedAndTheShortlistKeepsEach() throws {
    let request = try ExpertFixtures.request(
      model: try Fixtures.catalog.model("llama-2-13b"),
      precision: ScenarioPrecision(weights: .search, searchKVCache: true))
    let planner = Planner(request)
    let ranked = try planner.analyticRanking(try planner.probes())
    let precisions = Set(ranked.compactMap(\.precision))
    // fp16 checkpoint on H100: {fp16, fp8, int4-g128} × {fp16, fp8} KV = 6.
    #expect(precisions.count == 6)
    #expect(ranked.allSatisfy { $0.precision != nil })
    let picks = planner.shortlist(ranked)
    for precision in precisions {
      if ranked.contains(where: { $0.precision == precision && $0.load != nil }) {
        #expect(picks.contains { $0.0.precision == precision }, "\(precision)")
      }
    }
  }

  @Test func launchCarriesQuantizationKVAndExpertFlags() throws {
    // fp8 weights, fp8 KV, Mixtral TP2·EP4·DP4 on one H100 node.
    let request = try ExpertFixtures.request(
      model: ExpertFixtures.mixtral, precision: ScenarioPrecision(weights: .fixed(.fp8)))
    let variant = request.serving(PlanPrecision(weights: .fp8, kvCache: .fp8))
    let layout = Layout(tp: 2, pp: 1, dp: 4, ep: 4)
    let probe = try LayoutProbe(
      request: variant, layout: layout, precision: PlanPrecision(weights: .fp8, kvCache: .fp8))
    let candidate = try AnalyticCandidate(probe: probe, request: request)
    let launch = LaunchCommandBuilder.build(request: request, candidate: candidate)
    for flag in [
      "--quantization fp8", "--kv-cache-dtype fp8", "--enable-expert-parallel", "--data-parallel-size 2",
      "--tensor-parallel-size 2",
    ] {
      #expect(launch.command.contains(flag), "\(flag) in \(launch.command)")
    }
    // Two servers of one EP group each (4 replicas, 2 per group).
    #expect(launch.notes.contains { $0.contains("Start 2 such servers") })

    // Without EP an MoE model's replicas are separate servers: vLLM's DP would merge their experts.
    let plain = try AnalyticCandidate(
      probe: try LayoutProbe(request: request, layout: Layout(tp: 2, pp: 1, dp: 4)), request: request)
    let plainLaunch = LaunchCommandBuilder.build(request: request, candidate: plain)
    #expect(plainLaunch.command.contains("--data-parallel-size 1"))
    #expect(!plainLaunch.command.contains("--enable-expert-parallel"))
  }

  @Test func int4LaunchNamesAWQAndAsksForAQuantizedCheckpoint() throws {
    let llama = try Fixtures.catalog.model("llama-2-7b")
    let request = try ExpertFixtures.request(model: llama, precision: ScenarioPrecision(weights: .fixed(.int4())))
    let precision = PlanPrecision(weights: .int4(), kvCache: llama.dtype)
    let probe = try LayoutProbe(
      request: request.serving(precision), layout: Layout(tp: 1, pp: 1, dp: 2), precision: precision)
    let launch = LaunchCommandBuilder.build(
      request: request, candidate: try AnalyticCandidate(probe: probe, request: request))
    #expect(launch.command.contains("--quantization awq"))
    #expect(!launch.command.contains("--kv-cache-dtype"))
    #expect(launch.notes.contains { $0.contains("checkpoint already quantized") })
  }

  @Test func scenarioPrecisionAndExpertLayoutParse() throws {
    let directory = try Fixtures.temporaryDirectory()
    let path = directory + "/p.yaml"
    let body = """
      model: mixtral-8x7b
      layout: {tp: 2, dp: 4, ep: 8}
      precision: {weights: int4-g64, kv_cache: fp8}
      workload: {rate: 2, prompt: 100, output: 50}
      """
    try body.write(toFile: path, atomically: true, encoding: .utf8)
    let scenario = try Scenario.load(path)
    #expect(scenario.layout == Layout(tp: 2, pp: 1, dp: 4, ep: 8))
    #expect(scenario.precision.weights == .fixed(.int4(groupSize: 64)))
    #expect(scenario.scheduler.kvCacheDType == .fp8)

    let conflicting =
      body.replacingOccurrences(of: "kv_cache: fp8", with: "kv_cache: bf16")
      + "\nscheduler: {kv_cache_dtype: fp8}\n"
    try conflicting.write(toFile: path, atomically: true, encoding: .utf8)
    let error = #expect(throws: CatalogError.self) { try Scenario.load(path) }
    #expect(error?.field == "precision.kv_cache")

    try body.replacingOccurrences(of: "int4-g64", with: "fp6").write(toFile: path, atomically: true, encoding: .utf8)
    let bad = #expect(throws: CatalogError.self) { try Scenario.load(path) }
    #expect(bad?.field == "precision.weights")
  }

  @Test func newExampleScenariosParse() throws {
    for name in ["mixtral-8x7b", "qwen3-30b-a3b", "deepseek-v3-h200", "awq-int4-a100"] {
      let scenario = try Scenario.load(Fixtures.repositoryRoot + "/Reports/examples/\(name).yaml")
      #expect(scenario.name == name)
    }
  }
}
