import Analytic
import ArgumentParser
import Foundation
import PlanCore

/// Serving-engine settings on the command line (vLLM names in the help). Unset flags leave a
/// scenario's scheduler settings, else vLLM's defaults.
struct EngineOptions: ParsableArguments {
  @Option(
    parsing: .unconditional,
    help: "Fraction of GPU memory the engine may use, in (0, 1] (vLLM gpu_memory_utilization, default 0.9).")
  var gpuMemoryUtilization: Double?

  @Option(
    parsing: .unconditional,
    help: "Most tokens per iteration, the chunked-prefill budget (vLLM max_num_batched_tokens, default 8192).")
  var maxBatchedTokens: Int?

  @Option(parsing: .unconditional, help: "Most sequences running at once per replica (vLLM max_num_seqs, default 256).")
  var maxNumSeqs: Int?

  @Option(parsing: .unconditional, help: "Tokens per KV-cache block (vLLM block_size, default 16).")
  var blockSize: Int?

  @Option(name: .customLong("kv-dtype"), help: FlagCheck.kvDTypeHelp)
  var kvDType: String?

  @Option(name: .customLong("weight-dtype"), help: FlagCheck.weightDTypeHelp(search: false))
  var weightDType: String?

  /// The `--weight-dtype` precision, nil when not given.
  func weightPrecision() throws -> WeightPrecision? {
    guard case .fixed(let precision)? = try FlagCheck.weightChoice(weightDType, searchAllowed: false) else {
      return nil
    }
    return precision
  }

  func validate() throws {
    _ = try FlagCheck.weightChoice(weightDType, searchAllowed: false)
    try FlagCheck.fraction(gpuMemoryUtilization, "--gpu-memory-utilization")
    try FlagCheck.atLeast(maxBatchedTokens, 1, "--max-batched-tokens")
    try FlagCheck.atLeast(maxNumSeqs, 1, "--max-num-seqs")
    try FlagCheck.atLeast(blockSize, 1, "--block-size")
    if kvDType?.lowercased() == "auto" {
      throw ValidationError("--kv-dtype auto searches precisions, which recommend does; give fp16, bf16 or fp8")
    }
    _ = try FlagCheck.kvDType(kvDType)
  }

  /// Lays the flags given over a scenario's scheduler block.
  func apply(to scheduler: inout ScenarioScheduler) {
    if let gpuMemoryUtilization { scheduler.gpuMemoryUtilisation = gpuMemoryUtilization }
    if let maxBatchedTokens { scheduler.maxNumBatchedTokens = maxBatchedTokens }
    if let maxNumSeqs { scheduler.maxNumSeqs = maxNumSeqs }
    if let blockSize { scheduler.blockSizeTokens = blockSize }
    if let kv = try? FlagCheck.kvDType(kvDType) { scheduler.kvCacheDType = kv }
  }
}

/// `llmplan estimate`: analytic predictions for one layout.
struct EstimateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "estimate",
    abstract: "Predict memory fit, TTFT, TPOT and saturated throughput of one TP × PP × DP layout.",
    discussion: """
      TTFT is a lone request's prefill on an idle replica (no queue). TPOT is the decode time per \
      token with --batch sequences running (context: prompt + output/2). Saturated throughput \
      keeps the largest batch the KV cache allows for full-length requests (capped by \
      --max-num-seqs) running, admitting new prompts as others finish. Without --cluster a \
      built-in cluster of 8-GPU nodes is used: an ideal NVSwitch at the GPU's NVLink bandwidth \
      inside a node, one InfiniBand NIC per GPU between nodes (200 Gbit/s, or 400 Gbit/s for \
      NVLink-4-class GPUs). GPUs are placed contiguously: replica by replica, stage by stage.
      """)

  @OptionGroup var catalogOptions: CatalogOptions

  @Option(help: "Model: catalog name or path to a HuggingFace config.json.")
  var model: String

  @Option(help: "GPU: catalog name or path (default: the cluster's GPU).")
  var gpu: String?

  @Option(help: "Cluster: catalog name or path (default: built-in ideal nodes).")
  var cluster: String?

  @Option(parsing: .unconditional, help: "Tensor-parallel degree.")
  var tp: Int = 1

  @Option(parsing: .unconditional, help: "Pipeline-parallel degree.")
  var pp: Int = 1

  @Option(parsing: .unconditional, help: "Data-parallel degree (replicas).")
  var dp: Int = 1

  @Option(
    parsing: .unconditional,
    help: "Expert-parallel degree (MoE models): TP times a number of replicas dividing DP (default 1: none).")
  var ep: Int = 1

  @Option(parsing: .unconditional, help: "Prompt tokens per request.")
  var prompt: Int

  @Option(parsing: .unconditional, help: "Output tokens per request.")
  var output: Int

  @Option(
    parsing: .unconditional,
    help: "Sequences decoding together for the TPOT figure (refused when the KV cache cannot hold them).")
  var batch: Int = 1

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Static batch: B prompts of --prompt tokens prefilled together, then decoded together for --output tokens.",
      discussion: "The form of FasterTransformer, TensorRT-LLM and LMDeploy benchmark tables; prints the "
        + "batch's prefill, per-token latency as the context grows, total latency and tokens/s per replica."))
  var staticBatch: Int?

  @Option(
    help: ArgumentHelp(
      "Static-batch prefill: whole (each PP micro-batch's prompts in one pass, as FasterTransformer and "
        + "TensorRT-LLM's static benchmark) or chunked (--max-batched-tokens per iteration, as vLLM). Default whole."))
  var staticPrefill: String?

  @OptionGroup var engine: EngineOptions

  @OptionGroup var engineProfile: EngineProfileOption

  @Option(
    parsing: .unconditional,
    help: "Arrival rate, requests/s: adds the under-load figures (queueing, success rate).")
  var rate: Double?

  @OptionGroup var load: LoadOptions

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    try FlagCheck.atLeast(tp, 1, "--tp")
    try FlagCheck.atLeast(pp, 1, "--pp")
    try FlagCheck.atLeast(dp, 1, "--dp")
    try FlagCheck.atLeast(ep, 1, "--ep")
    try FlagCheck.atLeast(prompt, 1, "--prompt")
    try FlagCheck.atLeast(output, 1, "--output")
    try FlagCheck.atLeast(batch, 1, "--batch")
    try FlagCheck.positive(rate, "--rate", unit: "requests per second", range: Plausibility.rate)
    try FlagCheck.atLeast(staticBatch, 1, "--static-batch")
    _ = try Self.prefillMode(staticPrefill)
    if staticBatch == nil, staticPrefill != nil {
      throw ValidationError("--static-prefill applies only with --static-batch")
    }
    if staticBatch != nil, rate != nil {
      throw ValidationError("--static-batch and --rate cannot be combined (a static batch has no arrivals)")
    }
  }

  static func prefillMode(_ text: String?) throws -> StaticPrefillMode {
    guard let text else { return .whole }
    guard let mode = StaticPrefillMode(rawValue: text.lowercased()) else {
      throw ValidationError("--static-prefill must be whole or chunked, got \"\(text)\"")
    }
    return mode
  }

  func run() throws {
    try withUserFacingErrors {
      if let staticBatch { return try runStatic(batch: staticBatch) }
      let (prediction, evaluator) = try makePrediction()
      var underLoad: LoadPrediction?
      if let rate {
        underLoad = try evaluator.underLoad(
          rateRequestsPerSecond: rate, promptTokens: prompt, outputTokens: output, slo: try load.slo(),
          router: try load.routerPolicy(), queueCapacity: load.queueCapacity)
      }
      if json {
        try JSONOutput.print(EstimateResult(prediction: prediction, load: underLoad))
      } else {
        print(EstimateText.render(prediction))
        if let underLoad { print("\n" + LoadText.render(underLoad)) }
      }
    }
  }

  func makePrediction() throws -> (LayoutPrediction, LayoutEvaluator) {
    let evaluator = try makeEvaluator()
    // A batch the KV cache cannot hold would be preempted or queued by the engine: say so
    // instead of predicting a TPOT nobody can measure. (Batch 1 that does not fit is reported
    // in the memory section.)
    let (tokens, overflow) = prompt.addingReportingOverflow(output)
    let fit = overflow ? 0 : evaluator.memory.maxConcurrentSequences(tokensPerSequence: tokens)
    if batch > 1, batch > fit {
      throw UserFacingError(
        message: "--batch \(batch): the KV cache holds at most \(fit) sequences of \(prompt) + \(output) tokens "
          + "(\(evaluator.memory.maxKVTokens) tokens in \(evaluator.memory.kvBlocks) blocks of "
          + "\(evaluator.memory.config.blockSizeTokens))")
    }
    return (try evaluator.predict(promptTokens: prompt, outputTokens: output, batch: batch), evaluator)
  }

  /// `--static-batch B`: the batch's end-to-end figures, or a one-line refusal when the B
  /// sequences cannot all hold their tokens in the KV cache.
  func runStatic(batch staticBatch: Int) throws {
    let evaluator = try makeEvaluator()
    let shape = StaticBatchShape(
      batch: staticBatch, inputTokens: prompt, outputTokens: output, prefill: try Self.prefillMode(staticPrefill))
    let prediction: StaticBatchPrediction
    do { prediction = try evaluator.staticBatch(shape) } catch let error as StaticBatchCapacityError {
      throw UserFacingError(message: "--static-batch \(staticBatch): \(error)")
    } catch let error as CostModelError where shape.prefill == .chunked && staticBatch > evaluator.config.maxSequences {
      throw UserFacingError(message: "--static-batch \(staticBatch): \(error) (raise --max-num-seqs)")
    }
    if json {
      try JSONOutput.print(StaticBatchResult(evaluator: evaluator, prediction: prediction))
    } else {
      print(StaticBatchText.render(prediction, evaluator: evaluator))
    }
  }

  func makeEvaluator() throws -> LayoutEvaluator {
    let catalog = try catalogOptions.load()
    var modelSpec = try catalog.model(model)
    try modelSpec.checkContextWindow(
      promptTokens: prompt, outputTokens: output, promptField: "--prompt", outputField: "--output")
    let clusterFromCatalog = try cluster.map { try catalog.cluster($0) }
    guard let gpuName = gpu ?? clusterFromCatalog?.defaultGPU else {
      throw UserFacingError(message: "--gpu is required (the cluster does not name its GPU)")
    }
    let gpuSpec = try catalog.gpu(gpuName)
    if let weights = try engine.weightPrecision() {
      try weights.checkSupported(on: gpuSpec, field: "--weight-dtype")
      modelSpec = weights.applied(to: modelSpec)
    }
    var layout = try Layout.checked(tp: tp, pp: pp, dp: dp)
    layout.ep = ep
    let clusterSpec = clusterFromCatalog ?? Cluster.idealNodes(gpu: gpuSpec, gpuCount: max(1, layout.totalGPUs))
    try layout.validate(model: modelSpec, cluster: clusterSpec)
    return try LayoutEvaluator(
      model: modelSpec, gpu: gpuSpec, cluster: clusterSpec, layout: layout,
      config: engine.engineConfig(profile: try engineProfile.profile(catalog: catalog)))
  }
}

/// The readable form of a `LayoutPrediction`.
enum EstimateText {
  static func render(_ p: LayoutPrediction) -> String {
    let seconds = Units.formatSeconds
    let bytes = Units.formatBytes
    var out: [String] = []
    out.append(
      "\(p.model) on \(p.gpusTotal) × \(p.gpu) (\(p.layout)), cluster \(p.cluster)")
    out.append(
      "requests: \(p.promptTokens) prompt + \(p.outputTokens) output tokens"
        + (p.withinContextWindow ? "" : "  (exceeds the model's context window)"))
    out.append("")

    // Memory.
    let m = p.memory
    let verdict =
      m.fits && m.maxConcurrentSequences == 0
      ? "the weights fit, but not one full-length request: its \(p.promptTokens + p.outputTokens) tokens exceed the "
        + "\(m.maxKVTokens)-token KV cache (\(bytes(m.headroomBytes)) left on the tightest GPU)"
      : m.fits
        ? "fits (\(bytes(m.headroomBytes)) left for KV cache on the tightest GPU)"
        : "does NOT fit (over by \(bytes(max(0, -m.headroomBytes)))"
          + (m.headroomBytes >= 0 ? ", no room for one KV block" : "") + ")"
    out.append("Memory per GPU: \(verdict)")
    var memory: [[String]] = [["stage", "layers", "weights", "activations", "reserve", "KV cache", "budget"]]
    for stage in m.stages {
      memory.append([
        "\(stage.stage)", "\(stage.layers)", bytes(stage.weightBytes), bytes(stage.activationBytes),
        bytes(stage.reserveBytes), bytes(Double(m.maxKVTokens) * stage.kvBytesPerToken), bytes(stage.budgetBytes),
      ])
    }
    out.append(TextTable.render(memory, rightAligned: [1, 2, 3, 4, 5, 6], indent: "  "))
    out.append(
      "  KV cache: \(m.maxKVTokens) tokens (\(m.kvBlocks) blocks of \(m.blockSizeTokens)); "
        + "\(m.maxConcurrentSequences) full-length sequences; budget = memory × \(m.gpuMemoryUtilization)")
    out.append("")

    // Latency and throughput.
    var latency: [[String]] = []
    latency.append([
      "TTFT (lone request, no queue)", p.ttftBand.formatted, "dominated by \(p.ttftBreakdown.dominant.rawValue)",
    ])
    latency.append([
      "TPOT at batch \(p.batch)", p.tpotBand.formatted, "dominated by \(p.tpotBreakdown.dominant.rawValue)",
    ])
    if let atMax = p.tpotAtMaxBatchSeconds {
      latency.append(["TPOT at max batch \(p.maxBatch)", seconds(atMax), ""])
    }
    out.append("Latency (p10–p90 band: " + (p.bandsCalibrated ? "calibrated" : "uncalibrated GPU, wide") + ")")
    out.append(TextTable.render(latency, rightAligned: [1], indent: "  "))
    out.append("")
    let t = p.throughput
    out.append("Saturated throughput (batch \(t.batch) per replica)")
    var rates: [[String]] = [["", "output tokens/s", "requests/s"]]
    rates.append([
      "per replica", Units.threeSignificant(t.outputTokensPerSecondPerReplica),
      Units.threeSignificant(t.requestsPerSecondPerReplica),
    ])
    rates.append([
      "layout (DP=\(p.layout.dp))", Units.threeSignificant(t.outputTokensPerSecond),
      Units.threeSignificant(t.requestsPerSecond),
    ])
    out.append(TextTable.render(rates, rightAligned: [1, 2], indent: "  "))
    out.append("")

    // Breakdown.
    out.append("Breakdown")
    var breakdown: [[String]] = [["", "TTFT", "TPOT@\(p.batch)", "saturated cycle"]]
    let columns = [p.ttftBreakdown, p.tpotBreakdown, t.breakdown]
    let parts: [(String, (TimeBreakdown) -> Double)] = [
      ("compute-bound", { $0.computeBoundSeconds }), ("memory-bound", { $0.memoryBoundSeconds }),
      ("communication", { $0.communicationSeconds }), ("pipeline", { $0.pipelineSeconds }),
      ("overhead", { $0.overheadSeconds }), ("total", { $0.totalSeconds }),
    ]
    for (name, value) in parts {
      breakdown.append([name] + columns.map { seconds(value($0)) })
    }
    breakdown.append(["dominant"] + columns.map { $0.dominant.rawValue })
    out.append(TextTable.render(breakdown, rightAligned: [1, 2, 3], indent: "  "))
    if p.stages.count > 1 {
      out.append("")
      out.append("Pipeline stages (slowest replica)")
      var stages: [[String]] = [["stage", "layers", "GPUs", "prefill", "decode@\(p.batch)", "transfer"]]
      for stage in p.stages {
        stages.append([
          "\(stage.stage)", "\(stage.layers)", stage.gpus.map(String.init).joined(separator: ","),
          seconds(stage.prefillSeconds), seconds(stage.decodeSeconds), seconds(stage.decodeTransferSeconds),
        ])
      }
      out.append(TextTable.render(stages, rightAligned: [1, 3, 4, 5], indent: "  "))
    }
    return out.joined(separator: "\n")
  }
}
