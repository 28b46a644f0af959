import Foundation
import PlanCore

/// Expert load imbalance of an expert-parallel group: routed token copies the busiest GPU of
/// the group receives, over the mean (≥ 1). The busiest GPU sets the time of the MoE layer's
/// grouped GEMMs and of the all-to-all (every GPU waits for it).
///
/// Default: routing as a random draw, the closed form of the expected maximum. `tokens` tokens
/// each pick `topk` distinct experts of `experts`; the group's `ep` GPUs hold `experts / ep`
/// experts each. The copies one GPU receives from one token are hypergeometric (population E,
/// m = E/ep successes, k draws): mean k/ep, variance k · (m/E)(1 − m/E)(E − k)/(E − 1). Over T
/// independent tokens a GPU's load has mean μ = T·k/ep and variance σ² = T times that, close to
/// normal (a sum of many independent terms). The expected maximum of `ep` such loads is
/// μ + σ·z(ep), z(n) the expected maximum of n standard normals, taken from Blom's
/// approximation z(n) ≈ Φ⁻¹((n − 0.375)/(n + 0.25)) (G. Blom, *Statistical Estimates and
/// Transformed Beta-Variables*, 1958; z(2) = 0.59 against the exact 1/√π = 0.56, z(8) = 1.43
/// against 1.42), so
///
///     imbalance = 1 + z(ep)·σ/μ = 1 + z(ep)·√(ep · v / (T·k)),  v = (1 − 1/ep)(E − k)/(E − 1).
///
/// It is 1 with one GPU (ep = 1: the GPU holds every expert) and grows as the tokens per
/// expert shrink (decode, small batches): T = 64, k = 8, E = 256, ep = 8 gives 1.17; T = 8192
/// gives 1.015. Trained routers are not uniform: DeepSeek-V3 balances its experts with an
/// auxiliary-loss-free bias (arXiv:2412.19437 §2.1.2) and still deploys redundant copies of the
/// hottest experts at inference (§3.4.1, EPLB), which a random draw does not capture; callers
/// with a measured max/mean for their model and traffic pass it as an override
/// (`ExpertImbalance(…, override:)`), which replaces the closed form.
public struct ExpertImbalance: Sendable, Hashable {
  public var experts: Int
  public var topk: Int
  public var ep: Int
  /// A measured factor (≥ 1) that replaces the closed form at every token count; nil: closed form.
  public var override: Double?

  public init(experts: Int, topk: Int, ep: Int, override: Double? = nil) {
    self.experts = experts
    self.topk = topk
    self.ep = ep
    self.override = override
  }

  /// The model's routing at `ep` (nil for a dense model).
  public init?(model: ModelSpec, ep: Int, override: Double? = nil) {
    guard let moe = model.experts else { return nil }
    self.init(experts: moe.routedExperts, topk: moe.expertsPerToken, ep: ep, override: override)
  }

  /// The factor for `tokens` tokens routed by the whole group in one iteration. O(1), no allocation.
  @inline(__always)
  public func factor(tokens: Int) -> Double {
    if let override { return override }
    return Self.default(tokens: tokens, experts: experts, topk: topk, ep: ep)
  }

  /// The closed form above: 1 for ep ≤ 1, no tokens, or degenerate routing.
  @inline(__always)
  public static func `default`(tokens: Int, experts: Int, topk: Int, ep: Int) -> Double {
    guard ep > 1, tokens > 0, topk > 0, experts > 1, topk < experts else { return 1 }
    let n = Double(ep)
    let e = Double(experts)
    let k = Double(topk)
    let variancePerCopy = (1 - 1 / n) * (e - k) / (e - 1)
    return 1 + expectedNormalMaximum(ep) * (n * variancePerCopy / (Double(tokens) * k)).squareRoot()
  }

  /// Expected maximum of `n` independent standard normals, Blom's Φ⁻¹((n − 0.375)/(n + 0.25));
  /// Φ⁻¹ by Abramowitz & Stegun 26.2.23 (absolute error < 4.5 × 10⁻⁴). 0 for n ≤ 1.
  @inline(__always)
  public static func expectedNormalMaximum(_ n: Int) -> Double {
    guard n > 1 else { return 0 }
    let upperTail = 1 - (Double(n) - 0.375) / (Double(n) + 0.25)
    let t = (-2 * log(upperTail)).squareRoot()
    return t - (2.515517 + 0.802853 * t + 0.010328 * t * t)
      / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t)
  }

  /// Tokens per replica the cost model's fixed factor is taken at when the batch is not known
  /// (`CostModel.expertImbalance`, which the MoE compute uses): 256, vLLM's default
  /// `max_num_seqs` (a full decode batch; https://docs.vllm.ai/en/latest/configuration/engine_args.html).
  public static let representativeTokensPerReplica = 256

  /// The factor for the cost model of a layout: the override, else the closed form at a full
  /// decode batch of every replica of the group (`representativeTokensPerReplica`).
  public static func costModelFactor(model: ModelSpec, layout: Layout, override: Double? = nil) -> Double {
    guard let imbalance = ExpertImbalance(model: model, ep: layout.ep, override: override) else {
      return override ?? 1
    }
    return imbalance.factor(tokens: representativeTokensPerReplica * layout.replicasPerExpertGroup)
  }
}
