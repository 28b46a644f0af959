import Analytic
import ArgumentParser
import Calibration
import Foundation
import PlanCore
import Reporting

/// `llmplan calibrate`: fit a GPU's efficiency profile to measured timings.
struct CalibrateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "calibrate",
    abstract: "Fit a GPU's efficiency profile (compute, memory, launch, collectives) to measured timings.",
    discussion: """
      Measurements: CSV files in LLMPlan's format, one timing per row with a header naming the \
      columns (any order; # starts a comment line):
        kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds
        operator,qkv_proj,512,1,,,,0.0000905
        collective,all_reduce,,,16777216,8,8,0.000115
      kind is operator or collective; operator names are the cost model's (qkv_proj, attention, \
      out_proj, mlp_up_proj, mlp_act, mlp_down_proj, input_norm, post_attention_norm, \
      residual_add, embedding, lm_head); optional columns: context (cached tokens), phase \
      (prefill or decode: then tokens counts decoding sequences), model (else --model). \
      Collectives: all_reduce, all_gather, send_recv with bytes per GPU, gpus and gpus_per_node \
      (default: all on one node). The Vidur profiler's operator (mlp.csv) and collective \
      (all_reduce.csv, send_recv.csv) files are read as they are, and so are NVIDIA \
      AIConfigurator's kernel tables (gemm, context_attention, generation_attention; latency in \
      ms): their attention rows fit the attention law (prefill and decode, linear in its \
      coefficients, iteratively reweighted relative least squares) and their per-tensor fp8 GEMM \
      rows the fp8 GEMM law's compute max (GPUs without an fp8 peak refuse them).

      The fit: every kernel's time is max(compute, memory) + launch with compute = (FLOPs + \
      half_c) / (peak · max_c) and memory = (bytes + half_m) / (bandwidth · max_m); in 1/max and \
      half/max it is linear inside a roofline region, so each operator's law is a relative \
      least-squares problem solved with LAPACK, re-solved until no point changes region. GEMM \
      operators together give the profile's global law; each measured operator gets its own. \
      The kernel launch is the smallest fixed cost any law shows. Collectives fit the bandwidth \
      fraction, its size ramp and the per-step latency the same way on --cluster; a GPU with \
      collective_protocols instead fits NCCL's LL/LL128/Simple laws and group factors on NCCL \
      all-reduce and send/recv timings, and the custom all-reduce law on custom timings \
      (AIConfigurator's nccl.csv and custom_allreduce.csv are read as they are), by bounded \
      Levenberg-Marquardt on the log error.

      Parameters that are not physical (an efficiency above 1, a negative latency) are refused \
      with the reason: nothing is written unless --keep-physical, which writes the physical \
      ones and keeps the GPU file's values for the rest. So are laws the data cannot determine: a \
      law of p parameters needs more than p distinct shapes (a single row, or one row repeated, \
      fits exactly and would claim a zero-width error band); with no usable row at all nothing \
      is calibrated. An error band needs at least three points per operator or collective; with \
      fewer the GPU file's band is kept.

      --out writes through a temporary file in the same folder and renames it. It replaces only \
      a GPU file llmplan calibrate wrote, and never the --gpu or --measurements file it reads, \
      unless --force; a directory, block device or socket is refused, and a character device or \
      pipe (/dev/null, a FIFO) is written in place, never replaced. Exit status 1 on any refusal.
      """)

  @OptionGroup var catalogOptions: CatalogOptions
  @OptionGroup var input: MeasurementOptions

  @Option(
    help: """
      Write the calibrated GPU file here (e.g. Models/gpus/h100-80gb-sxm-calibrated.json). An existing file is \
      replaced only if llmplan calibrate wrote it (and it is not the --gpu file), else only with --force.
      """)
  var out: String?

  @Flag(help: "Overwrite the --out file even if llmplan did not write it, or it is the --gpu file.")
  var force = false

  @Flag(help: "Fit on half of every group (1st, 3rd, … point by size) and score on the other half.")
  var holdout = false

  @Flag(
    help: "When some parameter sets are not physical, still write the others (refused ones keep the GPU file's values)."
  )
  var keepPhysical = false

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    try withUserFacingErrors {
      let outcome = try execute()
      print(outcome.text)
      if let refusal = outcome.refusal { throw UserFacingError(message: refusal) }
    }
  }

  /// What one run printed, wrote and refused.
  struct Outcome {
    var text: String
    var written: String?
    /// Set when non-physical parameters stopped the write (the command then fails).
    var refusal: String?
  }

  func execute() throws -> Outcome {
    let catalog = try catalogOptions.load()
    if let out {  // refuse before fitting, not after
      try OutputFile.check(
        out, force: force, flag: "--out", what: "the calibrated GPU file", isGenerated: Self.isCalibratedGPUFile,
        inputs: try outputInputs(catalog))
    }
    let loaded = try input.load(catalog: catalog)
    let halves = loaded.measurements.interleavedHalves()
    let fitSet = holdout ? halves.fit : loaded.measurements
    let files = input.measurements.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
    let note = files + (holdout ? "; fitted on the interleaved half" : "")
    let result = try Calibrator(gpu: loaded.gpu, cluster: loaded.cluster, operatorTiming: .costModel).calibrate(
      fitSet, sourceNote: note)
    var heldOut: (before: AccuracyReport, after: AccuracyReport)?
    if holdout {
      let timing = loaded.cluster.map(CollectiveTiming.init)
      heldOut = (
        AccuracyReport.evaluate(
          gpu: loaded.gpu, measurements: halves.holdout, operatorTiming: .costModel, collectiveTiming: timing),
        AccuracyReport.evaluate(
          gpu: result.calibratedGPU, measurements: halves.holdout, operatorTiming: .costModel, collectiveTiming: timing)
      )
    }
    var written: String?
    if let out, result.isPhysical || keepPhysical {
      try write(result.calibratedGPU, basedOn: loaded.gpu, catalog: catalog, to: out)
      written = out
    }
    var text: String
    if json {
      text = try JSONOutput.string(CalibrationOutput(result, heldOut: heldOut, written: written))
    } else {
      text = CalibrationText.render(
        result, heldOut: heldOut, cluster: loaded.cluster, skipped: loaded.measurements.skipped)
      if let written { text += "\nWrote \(written)" }
    }
    var refusal: String?
    if !result.isPhysical && !keepPhysical {
      refusal =
        "refused: \(result.refusals.count) fitted parameter set(s) are not physical or not determined by the data "
        + "(listed above); nothing written. "
        + "Fix the data, or pass --keep-physical to write the physical ones and the physical alternatives."
    }
    return Outcome(text: text, written: written, refusal: refusal)
  }

  /// Writes the GPU file with its `efficiency` block replaced, then reads it back to check it.
  func write(_ gpu: GPUSpec, basedOn original: GPUSpec, catalog: Catalog, to path: String) throws {
    let source = try catalog.resolve(input.gpu, kind: .gpu).path
    guard let data = FileManager.default.contents(atPath: source),
      var object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { throw UserFacingError(message: "cannot re-read \(source) to write the calibrated copy") }
    object["efficiency"] = gpu.efficiency.jsonObject
    object["display_name"] = "\(original.displayName) (calibrated)"
    let output = try JSONSerialization.data(
      withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    try OutputFile.write(
      output, to: path, force: force, flag: "--out", what: "the calibrated GPU file",
      isGenerated: Self.isCalibratedGPUFile, inputs: try outputInputs(catalog))
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let reread = try GPUSpec.load(from: DataFile.read(path), name: name)
    guard reread.efficiency.operators.count == gpu.efficiency.operators.count, reread.efficiency.uncertainty != nil
    else {
      throw UserFacingError(message: "\(path) did not read back as written")
    }
  }
}

extension CalibrateCommand {
  /// The files this command reads, which `--out` must not replace without `--force`.
  func outputInputs(_ catalog: Catalog) throws -> [(flag: String, path: String)] {
    [("--gpu", try catalog.resolve(input.gpu, kind: .gpu).path)] + input.measurements.map { ("--measurements", $0) }
  }

  /// Whether the file at `path` is a GPU file `llmplan calibrate` wrote: JSON whose
  /// `efficiency.source` begins with `Calibrator.sourcePrefix`.
  static func isCalibratedGPUFile(_ path: String) -> Bool {
    guard let data = FileManager.default.contents(atPath: path),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let efficiency = object["efficiency"] as? [String: Any], let source = efficiency["source"] as? String
    else { return false }
    return source.hasPrefix(Calibrator.sourcePrefix)
  }
}

/// JSON of `llmplan calibrate`.
struct CalibrationOutput: Encodable {
  struct Law: Encodable {
    var name: String
    var points: Int
    var computeMax: Double
    var computeHalfSaturationFLOPs: Double
    var memoryMax: Double
    var memoryHalfSaturationBytes: Double
    /// β (0 = no wave quantization); see `EfficiencyProfile.waveQuantization`.
    var waveQuantization: Double
    /// κ (1 = L2 ignored); see `EfficiencyProfile.l2ByteCost`.
    var l2ByteCost: Double
    /// Which of (1/compute max, compute ramp, 1/memory max, memory ramp, wave weight, L2 saving)
    /// the data determined.
    var fitted: [Bool]
    var standardErrors: [Double?]
    var converged: Bool
    var refusal: String?
    var fitMedianAbsoluteRelativeError: Double?
  }
  struct Collectives: Encodable {
    var points: Int
    var bandwidthMax: Double
    var halfSaturationBytes: Double
    var stepSeconds: Double
    var fitted: [Bool]
    var standardErrors: [Double?]
    var refusal: String?
  }
  struct KernelLaw: Encodable {
    var name: String
    var points: Int
    var parameters: [String: Double]
    var refusal: String?
    var fitMedianAbsoluteRelativeError: Double?
  }
  var gpu: String
  var kernelLaws: [KernelLaw]
  var kernelLaunchSeconds: Double?
  var pooled: Law?
  var operators: [Law]
  var collectives: Collectives?
  var refusals: [String]
  var notes: [String]
  var before: AccuracyReport
  var after: AccuracyReport
  var heldOutBefore: AccuracyReport?
  var heldOutAfter: AccuracyReport?
  var uncertainty: PredictionUncertainty?
  var written: String?

  init(_ result: CalibrationResult, heldOut: (before: AccuracyReport, after: AccuracyReport)?, written: String?) {
    func law(_ fit: OperatorLawFit) -> Law {
      Law(
        name: fit.name, points: fit.points, computeMax: fit.law.computeMax,
        computeHalfSaturationFLOPs: fit.law.computeHalfSaturationFLOPs, memoryMax: fit.law.memoryMax,
        memoryHalfSaturationBytes: fit.law.memoryHalfSaturationBytes, waveQuantization: fit.law.waveQuantization,
        l2ByteCost: fit.law.l2ByteCost, fitted: fit.fitted,
        standardErrors: fit.standardErrors,
        converged: fit.converged, refusal: fit.refusal,
        fitMedianAbsoluteRelativeError: fit.relativeErrors.isEmpty || fit.relativeErrors.contains(where: \.isNaN)
          ? nil : quantile(fit.relativeErrors.map(abs), 0.5))
    }
    gpu = result.gpu.name
    kernelLaws = result.kernelLaws.map { fit in
      KernelLaw(
        name: fit.name, points: fit.points,
        parameters: Dictionary(fit.parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
        refusal: fit.refusal,
        fitMedianAbsoluteRelativeError: fit.relativeErrors.isEmpty ? nil : quantile(fit.relativeErrors.map(abs), 0.5))
    }
    kernelLaunchSeconds = result.launchSeconds
    pooled = result.pooledLaw.map(law)
    operators = result.operatorLaws.map(law)
    collectives = result.collectiveLaw.map {
      Collectives(
        points: $0.points, bandwidthMax: $0.law.bandwidthMax, halfSaturationBytes: $0.law.halfSaturationBytes,
        stepSeconds: $0.law.stepSeconds, fitted: $0.fitted, standardErrors: $0.standardErrors, refusal: $0.refusal)
    }
    refusals = result.refusals
    notes = result.notes
    before = result.before
    after = result.after
    heldOutBefore = heldOut?.before
    heldOutAfter = heldOut?.after
    uncertainty = result.calibratedGPU.efficiency.uncertainty
    self.written = written
  }
}

/// Text of `llmplan calibrate`.
enum CalibrationText {
  /// "4.28 GFLOP", "0 FLOP".
  static func flops(_ value: Double) -> String {
    let text = TextTable.count(value)
    return text.hasSuffix(" ") || text.last?.isNumber == true ? text + " FLOP" : text + "FLOP"
  }

  static func render(
    _ result: CalibrationResult, heldOut: (before: AccuracyReport, after: AccuracyReport)?, cluster: Cluster?,
    skipped: [SkippedMeasurements]
  ) -> String {
    var lines: [String] = []
    let operatorPoints = result.operatorLaws.reduce(0) { $0 + $1.points }
    let kernelPoints = result.kernelLaws.reduce(0) { $0 + $1.points }
    lines.append(
      "Calibrating \(result.gpu.name) from \(operatorPoints) operator, \(kernelPoints) kernel-law and \(result.collectiveLaw?.points ?? 0) collective timings"
        + (cluster.map { " on \($0.name)" } ?? "") + ".")
    if result.pooledLaw != nil {
      lines.append("")
      lines.append(
        "Operator laws (relative least squares, LAPACK dgelsd; ± one standard error; * = held, not determined by the data):"
      )
      var rows = [
        [
          "law", "points", "compute max", "compute half-sat.", "wave q.", "memory max", "memory half-sat.",
          "L2 byte cost", "fit median |err|", "status",
        ]
      ]
      for fit in [result.pooledLaw!] + result.operatorLaws {
        let law = fit.law
        func value(_ index: Int, _ text: String) -> String {
          guard fit.fitted[index] else { return text + " *" }
          guard let error = fit.standardErrors[index] else { return text }
          // Standard errors are of the linear parameters (1/max, half/max): show the relative one.
          let value = fit.foldedLaw.vector[index]
          guard value != 0 else { return text }
          let relative = error / abs(value)
          return text + String(format: " ±%.1f%%", relative * 100)
        }
        rows.append([
          fit.name, "\(fit.points)", value(0, String(format: "%.3f", law.computeMax)),
          value(1, CalibrationText.flops(law.computeHalfSaturationFLOPs)),
          value(4, String(format: "%.2f", law.waveQuantization)),
          value(2, String(format: "%.3f", law.memoryMax)), value(3, Units.formatBytes(law.memoryHalfSaturationBytes)),
          value(5, String(format: "%.2f", law.l2ByteCost)),
          AccuracyText.medianText(fit.relativeErrors),
          fit.refusal == nil ? (fit.converged ? "ok" : "ok (best of \(fit.rounds) rounds)") : "REFUSED",
        ])
        if let alternative = fit.physicalAlternative {
          let law = alternative.law
          rows.append([
            "  physical alternative", "", String(format: "%.3f", law.computeMax) + (alternative.fitted[0] ? "" : " *"),
            CalibrationText.flops(law.computeHalfSaturationFLOPs) + (alternative.fitted[1] ? "" : " *"),
            String(format: "%.2f", law.waveQuantization) + (alternative.fitted[4] ? "" : " *"),
            String(format: "%.3f", law.memoryMax) + (alternative.fitted[2] ? "" : " *"),
            Units.formatBytes(law.memoryHalfSaturationBytes) + (alternative.fitted[3] ? "" : " *"),
            String(format: "%.2f", law.l2ByteCost) + (alternative.fitted[5] ? "" : " *"),
            AccuracyText.medianText(alternative.relativeErrors),
            alternative.held.joined(separator: "; "),
          ])
        }
      }
      lines.append(TextTable.render(rows, rightAligned: [1, 8], indent: "  "))
      if let launch = result.launchSeconds { lines.append("  kernel launch: \(Units.formatSeconds(launch))") }
    }
    if !result.kernelLaws.isEmpty {
      lines.append("")
      lines.append("Kernel laws (iteratively reweighted relative least squares, LAPACK dgelsd):")
      var rows = [["law", "points", "parameters", "fit median |err|", "status"]]
      for fit in result.kernelLaws {
        let parameters = fit.parameters.map { "\($0.name) \(String(format: "%.4g", $0.value))" }.joined(separator: ", ")
        rows.append([
          fit.name, "\(fit.points)", parameters, AccuracyText.medianText(fit.relativeErrors),
          fit.refusal == nil ? "ok" : "REFUSED",
        ])
      }
      lines.append(TextTable.render(rows, rightAligned: [1, 3], indent: "  "))
    }
    if let fit = result.collectiveLaw {
      lines.append("")
      func se(_ index: Int) -> String {
        guard fit.fitted[index] else { return " (held)" }
        guard let error = fit.standardErrors[index], fit.law.vector[index] != 0 else { return "" }
        return String(format: " ±%.1f%%", error / abs(fit.law.vector[index]) * 100)
      }
      lines.append(
        "Collectives (\(fit.points) points): bandwidth max \(String(format: "%.3f", fit.law.bandwidthMax))\(se(1)), "
          + "half-saturation \(Units.formatBytes(fit.law.halfSaturationBytes))\(se(2)), "
          + "step latency \(Units.formatSeconds(fit.law.stepSeconds))\(se(0))"
          + (fit.refusal == nil ? "" : "  REFUSED"))
      if let alternative = fit.physicalAlternative {
        lines.append(
          "  physical alternative: bandwidth max \(String(format: "%.3f", alternative.law.bandwidthMax)), half-saturation "
            + "\(Units.formatBytes(alternative.law.halfSaturationBytes)), step latency \(Units.formatSeconds(alternative.law.stepSeconds)) "
            + "(\(alternative.held.joined(separator: "; ")))")
      }
    }
    if let fit = result.collectiveProtocolFit {
      lines.append("")
      lines.append(CollectiveProtocolText.lines(fit).joined(separator: "\n"))
    }
    if !result.refusals.isEmpty {
      lines.append("")
      lines.append(
        "Refused (not physical, not written unless --keep-physical, which writes the physical alternative where there is one):"
      )
      for refusal in result.refusals { lines.append("  " + refusal) }
    }
    if !result.notes.isEmpty {
      lines.append("")
      for note in result.notes { lines.append("Note: " + note) }
    }
    lines.append("")
    lines.append("Relative error |predicted / measured − 1| on the fitted points, before → after:")
    lines.append(AccuracyText.comparison(before: result.before, after: result.after))
    if let heldOut {
      lines.append("")
      lines.append("Held-out half (not used by the fit), before → after:")
      lines.append(AccuracyText.comparison(before: heldOut.before, after: heldOut.after))
    }
    let notes = AccuracyText.notes(report: result.after, skipped: skipped)
    if !notes.isEmpty { lines.append(notes) }
    if let uncertainty = result.calibratedGPU.efficiency.uncertainty {
      lines.append("")
      lines.append(
        String(
          format:
            "Error bands (p10–p90 of measured / predicted − 1): operators %+.1f%% … %+.1f%%, collectives %+.1f%% … %+.1f%%",
          uncertainty.compute.p10 * 100, uncertainty.compute.p90 * 100, uncertainty.communication.p10 * 100,
          uncertainty.communication.p90 * 100))
    }
    return lines.joined(separator: "\n")
  }
}
