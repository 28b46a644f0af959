import Testing

@testable import Analytic
@testable import PlanCore

/// The service-model memo must hand out exactly what building the table afresh gives.
@Suite struct LayoutLoadTests {
  @Test func cachedServiceModelEqualsAFreshOneAcrossDP() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 16)
    let cache = ServiceModelCache()
    for dp in [1, 2, 4, 8] {
      let evaluator = try LayoutEvaluator(
        model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: cluster, layout: Layout(tp: 2, pp: 1, dp: dp))
      let viaCache = try evaluator.serviceModel(promptTokens: 1500, outputTokens: 300, queueCapacity: nil, cache: cache)
      let fresh = try evaluator.serviceModel(promptTokens: 1500, outputTokens: 300, queueCapacity: nil)
      #expect(viaCache == fresh)
    }
  }

  /// A different request shape must not be served from another shape's entry.
  @Test func differentShapesGetDifferentEntries() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 8)
    let cache = ServiceModelCache()
    let evaluator = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: cluster, layout: Layout(tp: 1, pp: 1, dp: 1))
    let short = try evaluator.serviceModel(promptTokens: 200, outputTokens: 100, queueCapacity: nil, cache: cache)
    let long = try evaluator.serviceModel(promptTokens: 2000, outputTokens: 100, queueCapacity: nil, cache: cache)
    #expect(short.prefillSeconds < long.prefillSeconds)
  }

  /// Under load: an arrival rate above capacity is labelled unstable, below it stable.
  @Test func underLoadVerdictFollowsCapacity() throws {
    let evaluator = try LayoutEvaluator(
      model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, cluster: Fixtures.nvswitch8,
      layout: Layout(tp: 1, pp: 1, dp: 1))
    let slo = SLO(ttftSeconds: 5, tpotSeconds: 0.2)
    let capacity = try evaluator.serviceModel(promptTokens: 1000, outputTokens: 200, queueCapacity: nil)
      .capacityRequestsPerSecond
    let below = try evaluator.underLoad(
      rateRequestsPerSecond: 0.5 * capacity, promptTokens: 1000, outputTokens: 200, slo: slo)
    let above = try evaluator.underLoad(
      rateRequestsPerSecond: 2 * capacity, promptTokens: 1000, outputTokens: 200, slo: slo)
    #expect(below.stable)
    #expect(!above.stable)
    #expect(above.steadyState == nil)
    // Served fraction is bounded by capacity / λ = 1/2.
    #expect(abs(above.successRateUpperBound - 0.5) < 1e-12)
  }
}
