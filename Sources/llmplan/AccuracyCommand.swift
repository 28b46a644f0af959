import Analytic
import ArgumentParser
import Calibration
import Foundation
import PlanCore

/// `llmplan accuracy`: how far the current model is from a user's measurements.
struct AccuracyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "accuracy",
    abstract: "Median and p90 relative error of the model against measured operator and collective timings.",
    discussion: """
      Reads timings (LLMPlan's CSV format or the Vidur profiler's files, see `llmplan calibrate \
      --help`), times each one with the analytic cost model (operators) and the collective model \
      on --cluster (collectives) using the GPU's current efficiency profile, and prints, per \
      operator type, per collective and per kernel regime (AIConfigurator tables: prefill short \
      and long, decode small and large batch, gemm bf16 and fp8, moe per expert precision at ≤ 64 and \
      > 64 tokens), the median and 90th percentile \
      of |predicted / measured − 1| and the median signed error (bias: + means the model is too slow). Use it to see how \
      well LLMPlan knows your hardware before and after `llmplan calibrate`.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @OptionGroup var input: MeasurementOptions

  @Flag(
    help: "Score only the held-out half (the 2nd, 4th, … point of every group by size), as after `calibrate --holdout`."
  )
  var holdout = false

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  @Flag(
    help:
      "Fit the fused-MoE expert law (AIConfigurator moe rows) on the fit half (the 1st, 3rd, … point of every group by size) and print its coefficients and median errors on both halves, instead of scoring the current law."
  )
  var fitMoe = false

  func run() throws {
    try withUserFacingErrors {
      print(try render())
    }
  }

  func render() throws -> String {
    let catalog = try catalogOptions.load()
    let loaded = try input.load(catalog: catalog)
    if fitMoe { return try renderExpertFit(loaded) }
    let measurements = holdout ? loaded.measurements.interleavedHalves().holdout : loaded.measurements
    let report = AccuracyReport.evaluate(
      gpu: loaded.gpu, measurements: measurements, operatorTiming: .costModel,
      collectiveTiming: loaded.cluster.map(CollectiveTiming.init))
    if json {
      return try JSONOutput.string(
        AccuracyOutput(
          gpu: loaded.gpu.name, cluster: loaded.cluster?.name, heldOutHalfOnly: holdout, report: report,
          skipped: measurements.skipped))
    }
    let calibrated = loaded.gpu.efficiency.uncertainty?.calibrated == true
    var lines = [
      "Accuracy of \(loaded.gpu.name) (\(calibrated ? "calibrated" : "uncalibrated") profile)"
        + (loaded.cluster.map { " on \($0.name)" } ?? "") + (holdout ? ", held-out half" : "") + ":",
      AccuracyText.table(report),
    ]
    let notes = AccuracyText.notes(report: report, skipped: measurements.skipped)
    if !notes.isEmpty { lines.append(notes) }
    return lines.joined(separator: "\n")
  }
}

extension AccuracyCommand {
  /// `--fit-moe`: the expert law fitted on the fit half, scored on both halves.
  func renderExpertFit(_ loaded: MeasurementOptions.Loaded) throws -> String {
    let halves = loaded.measurements.interleavedHalves()
    let fits = try ExpertCalibration.fit(halves.fit.kernels, gpu: loaded.gpu)
    guard !fits.isEmpty else {
      throw UserFacingError(message: "the measurement files hold too few balanced moe rows to fit the expert law")
    }
    let bandwidth = loaded.gpu.memoryBandwidthBytesPerSecond
    var lines = ["MoE expert law of \(loaded.gpu.name), fitted on the fit half:"]
    var rows = [["family", "points", "coefficients", "fit median", "held-out median", "held-out ≤ 64 / > 64 tokens"]]
    for entry in fits {
      guard let peak = loaded.gpu.peakFLOPS(entry.weights.fp8Compute ? .fp8 : .bf16) else { continue }
      var small: [Double] = []
      var large: [Double] = []
      for m in halves.holdout.kernels {
        guard case .moe(let call) = m.work, call.weights == entry.weights else { continue }
        let predicted = entry.law.seconds(call, peakFLOPSPerSecond: peak, bandwidthBytesPerSecond: bandwidth).seconds
        let error = max(predicted, loaded.gpu.efficiency.kernelFloorSeconds) / m.seconds - 1
        if m.regime.contains("≤") { small.append(error) } else { large.append(error) }
      }
      let coefficients = entry.law.vector.map { String(format: "%.4g", $0) }.joined(separator: ", ")
      rows.append([
        entry.fit.name, "\(entry.fit.points)", "[\(coefficients)]", AccuracyText.medianText(entry.fit.relativeErrors),
        AccuracyText.medianText(small + large),
        "\(AccuracyText.medianText(small)) / \(AccuracyText.medianText(large))",
      ])
    }
    lines.append(TextTable.render(rows, rightAligned: [1, 3, 4], indent: "  "))
    lines.append("  coefficients: " + ExpertKernelLaw.parameterNames.joined(separator: ", "))
    return lines.joined(separator: "\n")
  }
}

/// `--gpu`, `--cluster`, `--measurements`, `--model`: what `calibrate` and `accuracy` read.
struct MeasurementOptions: ParsableArguments {
  @Option(help: "GPU the measurements were taken on: catalog name or path to a GPU file.")
  var gpu: String

  @Option(help: "Cluster the collectives were measured on: catalog name or path (needed for collective timings).")
  var cluster: String?

  @Option(
    parsing: .upToNextOption,
    help:
      "Measurement CSV files: LLMPlan's format (kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds), Vidur profiler files, or AIConfigurator kernel tables (gemm, context_attention, generation_attention, moe)."
  )
  var measurements: [String]

  @Option(
    help: "Model for operator rows of LLMPlan-format files that have no model column: catalog name or config.json path."
  )
  var model: String?

  @Option(help: "Precision of profiler operator files, which do not record it (fp16, bf16, …).")
  var profilerDtype: String = "fp16"

  struct Loaded {
    var gpu: GPUSpec
    var cluster: Cluster?
    var measurements: MeasurementSet
  }

  func load(catalog: Catalog) throws -> Loaded {
    guard !measurements.isEmpty else { throw UserFacingError(message: "give at least one --measurements FILE") }
    guard let dtype = DType(huggingFace: profilerDtype) else {
      throw UserFacingError(message: "--profiler-dtype: unknown precision \"\(profilerDtype)\"")
    }
    let gpuSpec = try catalog.gpu(gpu)
    let clusterSpec = try cluster.map { try catalog.cluster($0) }
    let defaultModel = try model.map { try catalog.model($0) }
    let reader = MeasurementReader(
      defaultModel: defaultModel, profilerDType: dtype, resolveModel: { try catalog.model($0) })
    let set = try reader.read(paths: measurements)
    guard !set.isEmpty else { throw UserFacingError(message: "the measurement files hold no timings LLMPlan can use") }
    return Loaded(gpu: gpuSpec, cluster: clusterSpec, measurements: set)
  }
}

/// JSON of `llmplan accuracy`.
struct AccuracyOutput: Encodable {
  var gpu: String
  var cluster: String?
  var heldOutHalfOnly: Bool
  var report: AccuracyReport
  var skipped: [SkippedMeasurements]
}

/// Text rendering shared by `accuracy` and `calibrate`.
enum AccuracyText {
  static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
  /// Median |error| of a fit's points, or "-" when there are none (or the fit stopped outside
  /// the model's domain).
  static func medianText(_ errors: [Double]) -> String {
    errors.isEmpty || errors.contains(where: \.isNaN) ? "-" : percent(quantile(errors.map(abs), 0.5))
  }

  static func signedPercent(_ value: Double) -> String { String(format: "%+.1f%%", value * 100) }

  static func label(_ row: AccuracyRow) -> String {
    let name = row.kind == .collectiveGroup ? "  " + row.name : row.name
    return row.measuredNames.isEmpty ? name : "\(name) (\(row.measuredNames.joined(separator: ", ")))"
  }

  static func kind(_ row: AccuracyRow) -> String {
    switch row.kind {
    case .operator: return "operator"
    case .collective, .collectiveGroup: return "collective"
    case .kernel: return "kernel"
    }
  }

  /// One report: n, median, p90, bias per row.
  static func table(_ report: AccuracyReport) -> String {
    var rows = [["kind", "name", "points", "median |err|", "p90 |err|", "bias"]]
    for row in report.rows {
      let s = row.statistics
      rows.append([
        kind(row), label(row), "\(s.count)", percent(s.medianAbsoluteRelativeError),
        percent(s.p90AbsoluteRelativeError),
        signedPercent(s.medianRelativeError),
      ])
    }
    return TextTable.render(rows, rightAligned: [2, 3, 4, 5], indent: "  ")
  }

  /// Two reports on the same points, side by side.
  static func comparison(before: AccuracyReport, after: AccuracyReport) -> String {
    var rows = [["kind", "name", "points", "median before", "p90 before", "median after", "p90 after"]]
    for row in after.rows {
      guard let old = before.row(row.kind, row.name) else { continue }
      rows.append([
        kind(row), label(row), "\(row.statistics.count)", percent(old.statistics.medianAbsoluteRelativeError),
        percent(old.statistics.p90AbsoluteRelativeError), percent(row.statistics.medianAbsoluteRelativeError),
        percent(row.statistics.p90AbsoluteRelativeError),
      ])
    }
    return TextTable.render(rows, rightAligned: [2, 3, 4, 5, 6], indent: "  ")
  }

  static func notes(report: AccuracyReport, skipped: [SkippedMeasurements]) -> String {
    var lines: [String] = []
    for entry in report.untimed { lines.append("  not timed: \(entry.count) × \(entry.name): \(entry.reason)") }
    for entry in skipped { lines.append("  skipped: \(entry.count) × \(entry.name): \(entry.reason)") }
    return lines.joined(separator: "\n")
  }
}
