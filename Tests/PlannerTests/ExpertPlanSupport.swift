import Foundation
import PlanCore
import Planner

/// Mixture-of-experts fixtures built by hand (the dimensions of published configs), so the
/// planner's EP search is tested independently of the catalog's MoE entries.
enum ExpertFixtures {
  /// Mixtral-8x7B's dimensions (mistralai/Mixtral-8x7B-v0.1 config.json: hidden 4096, 32 layers,
  /// 32 heads, 8 KV heads, 14336-wide experts, 8 experts, top-2, vocabulary 32000).
  static var mixtral: ModelSpec {
    ModelSpec(
      name: "mixtral-8x7b-test", hiddenSize: 4096, numLayers: 32, numHeads: 32, numKVHeads: 8,
      intermediateSize: 14336, vocabSize: 32000, maxPositionEmbeddings: 32768, dtype: .bf16, gatedMLP: true,
      experts: MixtureOfExperts(routedExperts: 8, expertsPerToken: 2, expertIntermediateSize: 14336))
  }

  /// A planning request for `model` on `cluster`, built from a dense catalog request whose model
  /// is then replaced (the request's other fields do not depend on the model).
  static func request(
    model: ModelSpec, gpu: String = "h100-80gb-sxm", cluster: String = "dgx-h100", budget: Int = 8,
    rate: Double = 4, precision: ScenarioPrecision = ScenarioPrecision()
  ) throws -> PlanRequest {
    var scenario = Fixtures.scenario(
      model: "llama-2-7b", gpu: gpu, cluster: cluster, rate: rate, prompt: .fixed(500), output: .fixed(200),
      budget: budget)
    scenario.precision = precision
    var request = try PlanRequest(scenario: scenario, catalog: Fixtures.catalog)
    request.model = model
    return request
  }
}
