import Analytic
import Foundation
import PlanCore
import Simulation

/// An affine test timing whose every number is known in closed form:
///   stage s: base[s] + perToken[s] × tokens + perContext × (decode context + prefill pairs)
///   transfer after s: transferBase + transferPerToken × tokens.
struct AffineTiming: IterationTiming {
  var base: [Double]
  var perToken: [Double]
  var perContext: Double = 0
  var transferBase: Double = 0
  var transferPerToken: Double = 0

  var stageCount: Int { base.count }

  func stageSeconds(stage: Int, batch: BatchShape) -> Double {
    base[stage] + perToken[stage] * Double(batch.totalTokens)
      + perContext * (Double(batch.decodeContextTokens) + batch.prefillAttentionPairs)
  }

  func transferSeconds(afterStage stage: Int, batch: BatchShape) -> Double {
    transferBase + transferPerToken * Double(batch.totalTokens)
  }

  /// One stage whose time is `secondsPerToken` × tokens: a request with prompt P and one
  /// output token is served in exactly P × secondsPerToken on a lone slot.
  static func perToken(_ secondsPerToken: Double) -> AffineTiming {
    AffineTiming(base: [0], perToken: [secondsPerToken])
  }
}

/// Shortcuts for building runs.
enum Fixture {
  static func workload(
    rate: Double, duration: Double, prompt: LengthDistribution, output: LengthDistribution,
    arrival: ArrivalProcess = .poisson, warmup: Double = 0, drain: Double = 1000, seed: UInt64 = 7
  ) -> Workload {
    Workload(
      rateRequestsPerSecond: rate, arrival: arrival,
      profiles: [ClientProfile(name: "test", prompt: prompt, output: output)],
      durationSeconds: duration, warmupSeconds: warmup, drainSeconds: drain, seed: seed)
  }

  /// Replays `requests`; the arrival window is [0, max(duration, last arrival)].
  static func trace(
    _ requests: [TraceRequest], duration: Double = 0, drain: Double = 1e6, warmup: Double = 0
  ) -> Workload {
    Workload(
      rateRequestsPerSecond: 1, arrival: .trace, profiles: [], durationSeconds: duration, warmupSeconds: warmup,
      drainSeconds: drain, seed: 1, trace: requests)
  }

  static let checked = SimulationOptions(checkInvariants: true, recordRequests: true)

  static func json(_ result: SimulationResult) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .throw
    return String(decoding: try encoder.encode(result), as: UTF8.self)
  }
}

/// Mean and batch-means standard error of a series (consecutive batches; for correlated
/// samples such as successive waiting times the batch means are nearly independent when a
/// batch is much longer than the correlation time).
func batchMeans(_ values: [Double], batches: Int) -> (mean: Double, standardError: Double) {
  let size = values.count / batches
  var means: [Double] = []
  for b in 0..<batches {
    let slice = values[(b * size)..<((b + 1) * size)]
    means.append(slice.reduce(0, +) / Double(size))
  }
  let mean = means.reduce(0, +) / Double(batches)
  let variance = means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)
  return (mean, (variance / Double(batches)).squareRoot())
}
