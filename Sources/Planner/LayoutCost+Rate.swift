import Foundation
import PlanCore

extension HourlyPrice {
  /// The price a plan uses for `gpu`: a `--price` flag, else the scenario's `prices:`, else the
  /// GPU file's `price` block; nil when none names it. Overrides match the GPU's catalog name or
  /// the reference it was asked by (a path).
  public static func resolve(
    gpu: GPUSpec, reference: String, flags: [String: Double], scenario: [String: Double]
  ) -> HourlyPrice? {
    if let dollars = flags[gpu.name] ?? flags[reference] {
      return HourlyPrice(dollarsPerGPUHour: dollars, source: "--price", asOf: nil, userSupplied: true)
    }
    if let dollars = scenario[gpu.name] ?? scenario[reference] {
      return HourlyPrice(dollarsPerGPUHour: dollars, source: "scenario prices:", asOf: nil, userSupplied: true)
    }
    if let price = gpu.price {
      return HourlyPrice(
        dollarsPerGPUHour: price.dollarsPerGPUHour, source: price.source, asOf: price.asOf, userSupplied: false)
    }
    return nil
  }

  /// "no price for l4-24gb-pcie: add --price l4-24gb-pcie=DOLLARS_PER_GPU_HOUR …".
  public static func missingMessage(gpu: String, objective: PlanObjective? = nil) -> String {
    let need = objective.map { " (objective \($0.rawValue) needs one)" } ?? ""
    return
      "no price for \(gpu)\(need): add --price \(gpu)=DOLLARS_PER_GPU_HOUR, a `prices:` entry in the scenario, "
      + "or a price block in its GPU file"
  }
}

extension LayoutCost {
  /// What `gpus` GPUs at `price` cost while serving `rateRequestsPerSecond` requests of
  /// `meanOutputTokens` output tokens each:
  ///
  /// - dollars per hour = GPUs × dollars per GPU-hour;
  /// - dollars per million output tokens = dollars per hour ÷ (rate × mean output × 3600) × 10⁶;
  /// - dollars per million requests = dollars per hour ÷ (rate × 3600) × 10⁶.
  ///
  /// The hardware is paid for whether or not it is busy, so the per-token figures are at the
  /// target rate, not at the layout's capacity. Nil for a rate or output that is not positive.
  public static func at(
    gpus: Int, price: HourlyPrice, rateRequestsPerSecond rate: Double, meanOutputTokens: Double
  ) -> LayoutCost? {
    guard gpus >= 1, rate > 0, rate.isFinite, meanOutputTokens > 0, meanOutputTokens.isFinite else { return nil }
    let dollarsPerHour = Double(gpus) * price.dollarsPerGPUHour
    let requestsPerHour = rate * 3600
    let tokensPerHour = requestsPerHour * meanOutputTokens
    return LayoutCost(
      dollarsPerHour: dollarsPerHour, dollarsPerMillionOutputTokens: dollarsPerHour / tokensPerHour * 1e6,
      dollarsPerMillionRequests: dollarsPerHour / requestsPerHour * 1e6)
  }
}

extension PlanResult {
  /// The cost of `gpus` GPUs of this plan at its target rate; nil without a price.
  public func cost(gpus: Int) -> LayoutCost? {
    guard let price else { return nil }
    return LayoutCost.at(
      gpus: gpus, price: price, rateRequestsPerSecond: question.rateRequestsPerSecond,
      meanOutputTokens: Double(question.meanOutputTokens))
  }
}
