import Analytic
import PlanCore

/// One line of an accuracy report: how well the model times one operator type or collective.
public struct AccuracyRow: Sendable, Codable, Hashable {
  public enum Kind: String, Sendable, Codable {
    case `operator`, collective, collectiveGroup = "collective_group"
    /// A regime of bare kernel calls ("prefill long", "gemm fp8"): `KernelMeasurement.regime`.
    case kernel
  }
  public var kind: Kind
  /// Operator name of the cost model, collective name, or collective group label.
  public var name: String
  /// Names the files used for it (`attn_pre_proj`), when they differ from `name`.
  public var measuredNames: [String]
  public var statistics: ErrorStatistics
}

/// How far a GPU profile's predictions are from a set of measurements, per operator type and
/// per collective (`llmplan accuracy`).
public struct AccuracyReport: Sendable, Codable {
  public var rows: [AccuracyRow]
  /// All operator points together, and all collective points together.
  public var operatorsOverall: ErrorStatistics?
  public var collectivesOverall: ErrorStatistics?
  /// Measurements the model could not time, with the reason and a count.
  public var untimed: [UntimedMeasurements]

  public struct UntimedMeasurements: Sendable, Codable, Hashable {
    public var name: String
    public var count: Int
    public var reason: String
  }

  /// Times every measurement with `gpu` (its efficiency profile as given) and summarises.
  public static func evaluate(
    gpu: GPUSpec, measurements: MeasurementSet, operatorTiming: OperatorTiming, collectiveTiming: CollectiveTiming?
  ) -> AccuracyReport {
    var untimed: [String: (String, Int)] = [:]
    func noteUntimed(_ name: String, _ reason: String) {
      let key = "\(name)|\(reason)"
      untimed[key] = (reason, (untimed[key]?.1 ?? 0) + 1)
    }
    var operatorPairs: [String: (predicted: [Double], measured: [Double], aliases: Set<String>)] = [:]
    var allOperators: ([Double], [Double]) = ([], [])
    // Batch timing first (shared cost models); point by point only if some point fails.
    let batchOperators = try? operatorTiming.secondsAll(measurements.operators, gpu)
    for (index, m) in measurements.operators.enumerated() {
      do {
        let predicted = try batchOperators?[index] ?? operatorTiming.seconds(m, gpu)
        operatorPairs[m.operatorName, default: ([], [], [])].predicted.append(predicted)
        operatorPairs[m.operatorName]!.measured.append(m.seconds)
        if m.measuredName != m.operatorName { operatorPairs[m.operatorName]!.aliases.insert(m.measuredName) }
        allOperators.0.append(predicted)
        allOperators.1.append(m.seconds)
      } catch {
        noteUntimed(m.operatorName, "\(error)")
      }
    }
    var collectivePairs: [String: ([Double], [Double])] = [:]
    var groupPairs: [String: ([Double], [Double])] = [:]
    var allCollectives: ([Double], [Double]) = ([], [])
    let batchCollectives = try? collectiveTiming?.secondsAll(measurements.collectives, profile: gpu.efficiency)
    for (index, m) in measurements.collectives.enumerated() {
      guard let collectiveTiming else {
        noteUntimed(m.collective.rawValue, "no cluster given (pass --cluster)")
        continue
      }
      do {
        let predicted = try batchCollectives?[index] ?? collectiveTiming.seconds(m, profile: gpu.efficiency)
        collectivePairs[m.collective.rawValue, default: ([], [])].0.append(predicted)
        collectivePairs[m.collective.rawValue]!.1.append(m.seconds)
        groupPairs[m.groupLabel, default: ([], [])].0.append(predicted)
        groupPairs[m.groupLabel]!.1.append(m.seconds)
        allCollectives.0.append(predicted)
        allCollectives.1.append(m.seconds)
      } catch {
        noteUntimed(m.groupLabel, "\(error)")
      }
    }
    var rows: [AccuracyRow] = []
    for name in operatorPairs.keys.sorted() {
      let pair = operatorPairs[name]!
      if let stats = ErrorStatistics(predicted: pair.predicted, measured: pair.measured) {
        rows.append(AccuracyRow(kind: .operator, name: name, measuredNames: pair.aliases.sorted(), statistics: stats))
      }
    }
    for name in collectivePairs.keys.sorted() {
      let pair = collectivePairs[name]!
      if let stats = ErrorStatistics(predicted: pair.0, measured: pair.1) {
        rows.append(AccuracyRow(kind: .collective, name: name, measuredNames: [], statistics: stats))
      }
    }
    for name in groupPairs.keys.sorted() {
      let pair = groupPairs[name]!
      if let stats = ErrorStatistics(predicted: pair.0, measured: pair.1) {
        rows.append(AccuracyRow(kind: .collectiveGroup, name: name, measuredNames: [], statistics: stats))
      }
    }
    rows += expertAllToAllRows(measurements.expertAllToAll, gpu: gpu, cluster: collectiveTiming?.cluster) {
      noteUntimed($0, $1)
    }
    var kernelPairs: [String: ([Double], [Double])] = [:]
    for m in measurements.kernels {
      do {
        let predicted = try KernelTiming.seconds(m, gpu: gpu)
        kernelPairs[m.regime, default: ([], [])].0.append(predicted)
        kernelPairs[m.regime]!.1.append(m.seconds)
      } catch {
        noteUntimed(m.regime, "\(error)")
      }
    }
    for name in kernelPairs.keys.sorted() {
      let pair = kernelPairs[name]!
      if let stats = ErrorStatistics(predicted: pair.0, measured: pair.1) {
        rows.append(AccuracyRow(kind: .kernel, name: name, measuredNames: [], statistics: stats))
      }
    }
    let untimedList = untimed.keys.sorted().map { key in
      UntimedMeasurements(name: String(key.split(separator: "|")[0]), count: untimed[key]!.1, reason: untimed[key]!.0)
    }
    return AccuracyReport(
      rows: rows, operatorsOverall: ErrorStatistics(predicted: allOperators.0, measured: allOperators.1),
      collectivesOverall: ErrorStatistics(predicted: allCollectives.0, measured: allCollectives.1), untimed: untimedList
    )
  }

  public func row(_ kind: AccuracyRow.Kind, _ name: String) -> AccuracyRow? {
    rows.first { $0.kind == kind && $0.name == name }
  }

  /// Fewest points whose residual quantiles make an error band: with one point, p10 = p90 and
  /// the band has no width however wrong the model is; with two, p10 and p90 are little more
  /// than the two points themselves.
  public static let minimumPointsForBand = 3

  /// Residual quantiles for error bands: overall and by operator / collective name. A name or
  /// overall group with fewer than `minimumPointsForBand` points keeps the fallback's band.
  public func uncertainty(calibrated: Bool, source: String, fallback: PredictionUncertainty?) -> PredictionUncertainty {
    func quantiles(_ stats: ErrorStatistics) -> ResidualQuantiles? {
      guard stats.count >= Self.minimumPointsForBand else { return nil }
      return ResidualQuantiles(p10: stats.correctionP10, p50: stats.correctionP50, p90: stats.correctionP90)
    }
    let defaults = fallback ?? PredictionUncertainty.uncalibratedDefault
    var byName: [String: ResidualQuantiles] = [:]
    for row in rows where row.kind == .operator || row.kind == .collective {
      byName[row.name] = quantiles(row.statistics)
    }
    return PredictionUncertainty(
      calibrated: calibrated, compute: operatorsOverall.flatMap(quantiles) ?? defaults.compute,
      communication: collectivesOverall.flatMap(quantiles) ?? defaults.communication, byName: byName, source: source)
  }
}
