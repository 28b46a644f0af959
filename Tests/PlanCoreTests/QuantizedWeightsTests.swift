import Foundation
import Testing

@testable import PlanCore

/// Quantized checkpoints (AWQ, GPTQ, fp8, compressed-tensors) load with the bytes their files
/// hold: linear layers at `bits` per weight plus scales and zero points, the rest in `torch_dtype`.
@Suite struct QuantizedWeightsTests {
  func load(_ text: String) throws -> ModelSpec {
    let path = try Fixtures.write(text, name: "config.json")
    var warnings: [String] = []
    let model = try ModelSpec.load(from: DataFile.read(path), name: "m", warn: { warnings.append($0) })
    #expect(warnings.isEmpty, "\(warnings)")
    return model
  }

  static func relative(_ value: Double, _ published: Double) -> Double { abs(value - published) / published }

  /// Llama 2 13B with a GPTQ `quantization_config` of `group` (4 bits).
  func llama2_13BGPTQ(group: Int, descAct: Bool) throws -> ModelSpec {
    try load(
      try Fixtures.variant(try String(contentsOfFile: Fixtures.catalogRoot + "/llm/llama-2-13b.json", encoding: .utf8))
      {
        $0["llmplan"] = nil
        $0["quantization_config"] = [
          "bits": 4, "group_size": group, "desc_act": descAct, "quant_method": "gptq", "sym": true,
        ]
      })
  }

  // MARK: Published checkpoint sizes

  @Test func llama2_13BGPTQMatchesTheCheckpointSizesPerGroupSize() throws {
    // TheBloke/Llama-2-13B-GPTQ README, "Provided files": main (4-bit, group 128) 7.26 GB,
    // gptq-4bit-64g-actorder_True 7.51 GB, gptq-4bit-32g-actorder_True 8.00 GB.
    // Bytes: 12,687,769,600 linear weights × 0.5 B + per group of G weights a 2-byte fp16 scale
    // and a 0.5-byte packed zero point + g_idx (4 B per input feature: 40·(6·5120 + 13824)·4)
    // + 328,094,720 other parameters × 2 B.
    for (group, published) in [(128, 7.26e9), (64, 7.51e9), (32, 8.00e9)] {
      let model = try llama2_13BGPTQ(group: group, descAct: group != 128)
      let linear = 12_687_769_600.0
      let groupIndex: Double = 40 * (6 * 5120 + 13824) * 4
      let expected: Double = linear * 0.5 + linear / Double(group) * 2.5 + groupIndex + 328_094_720 * 2
      #expect(model.weightBytes() == expected, "group \(group)")
      #expect(Self.relative(model.weightBytes(), published) < 0.01, "group \(group): \(model.weightBytes())")
      #expect(model.weightQuantization?.actOrder == (group != 128))
    }
  }

  @Test func llama2_7BAWQMatchesItsCheckpoint() throws {
    // TheBloke/Llama-2-7B-AWQ README, "Provided files": main (4 bits, group 128) 3.89 GB.
    let model = try Fixtures.catalog.model("llama-2-7b-awq")
    let q = try #require(model.weightQuantization)
    #expect(q.method == .awq && q.bits == 4 && q.groupSize == 128 && q.zeroPoints && !q.quantizedActivations)
    // 6,476,005,376 linear weights × (0.5 + 2.5/128) B + 262,410,240 other parameters × 2 B.
    let perLinearWeight: Double = 0.5 + 2.5 / 128
    let expected: Double = 6_476_005_376 * perLinearWeight + 262_410_240 * 2
    #expect(model.weightBytes() == expected)
    #expect(Self.relative(model.weightBytes(), 3.89e9) < 0.01)
    #expect(model.parameterCount == 6_738_415_616)
    #expect(model.weightPrecision == "int4-g128" && model.kvCacheDType == .fp16)
    // Unquantized in fp16 the same model holds 13.5 GB: the AWQ file is 3.5 × smaller.
    #expect(model.weightBytes(.fp16) == 13_476_831_232)
  }

  @Test func linearLayersAndTheRestAddUpToTheParameterCount() throws {
    let model = try Fixtures.catalog.model("llama-2-7b")
    // 32 · (4·4096² + 3·4096·11008) projections; the rest is embedding, LM head and norms:
    // 2·32000·4096 + 65·4096.
    let linear = model.linearWeights.reduce(0) { $0 + $1.elements }
    #expect(linear == 6_476_005_376)
    #expect(model.parameterCount - linear == 2 * 32000 * 4096 + 65 * 4096)
    // In an MoE model the rest also holds the routers (and DeepSeek-V3's score corrections and
    // the two latent-attention norms): embedding and LM head, final norm, per layer two norms.
    let expectedRest: [String: Double] = [
      "mixtral-8x7b": 2 * 32000 * 4096 + 4096 + 32 * (2 * 4096 + 4096 * 8),
      "qwen3-30b-a3b": 2 * 151_936 * 2048 + 2048 + 48 * (2 * 2048 + 2048 * 128),
      "deepseek-v3": 2 * 129_280 * 7168 + 7168 + 61 * (2 * 7168 + 1536 + 512) + 58 * (7168 * 256 + 256),
    ]
    for (name, expected) in expectedRest {
      let moe = try Fixtures.catalog.model(name)
      let rest = moe.parameterCount - moe.linearWeights.reduce(0) { $0 + $1.elements }
      #expect(rest == expected, "\(name)")
    }
  }

  @Test func deepSeekV3StoresFP8WithBlockScales() throws {
    let model = try Fixtures.catalog.model("deepseek-v3")
    let q = try #require(model.weightQuantization)
    #expect(q.method == .fp8 && q.bits == 8 && q.groupSize == 128 && q.blockRows == 128 && q.quantizedActivations)
    #expect(model.weightPrecision == "fp8-b128" && model.dtype == .bf16)
    // One byte per linear weight, one fp32 scale per 128 × 128 block (every DeepSeek-V3 matrix
    // dimension is a multiple of 128 except 576, the KV down-projection's output: 5 row blocks),
    // the rest in bf16.
    var expected = 0.0
    for m in model.linearWeights {
      let blocks = Double((m.inputs + 127) / 128) * Double((m.outputs + 127) / 128)
      expected += Double(m.count) * (Double(m.inputs) * Double(m.outputs) + 4 * blocks)
    }
    let linear = model.linearWeights.reduce(0) { $0 + $1.elements }
    expected += (model.parameterCount - linear) * 2
    #expect(model.weightBytes() == expected)
    // About 673 GB, a little over half the 1.34 TB the same weights take in bf16.
    #expect(
      model.weightBytes() > 0.5 * model.weightBytes(.bf16) && model.weightBytes() < 0.51 * model.weightBytes(.bf16))
  }

  @Test func llama31AWQConfigLoads() throws {
    let model = try load(PublishedConfigs.llama31_8B_AWQ)
    #expect(model.weightQuantization?.method == .awq && model.weightPrecision == "int4-g128")
    #expect(model.parameterCount == 8_030_261_248)
    // 6,979,321,856 linear weights (32·(2·4096² + 2·4096·1024 + 3·4096·14336)) at 0.5 + 2.5/128 B,
    // 1,050,939,392 others (the 128,256-token embedding and LM head, norms) at 2 B: 5.73 GB
    // against 16.06 GB in fp16. The large vocabulary stays in fp16 and is over a third of it.
    let perLinearWeight: Double = 0.5 + 2.5 / 128
    let expected: Double = 6_979_321_856 * perLinearWeight + 1_050_939_392 * 2
    #expect(model.weightBytes() == expected)
  }

  @Test func compressedTensorsSchemesMapToTheirMethod() throws {
    func scheme(_ weights: [String: Any], activations: Any = NSNull()) throws -> WeightQuantization? {
      try load(
        try Fixtures.variant(PublishedConfigs.mistral7BInstructV02) {
          $0["quantization_config"] = [
            "quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
            "config_groups": [
              "group_0": ["targets": ["Linear"], "weights": weights, "input_activations": activations]
            ],
          ]
        }
      ).weightQuantization
    }
    let fp8 = try scheme(
      ["num_bits": 8, "type": "float", "strategy": "channel", "symmetric": true],
      activations: ["num_bits": 8, "type": "float", "strategy": "token", "dynamic": true])
    #expect(fp8 == WeightQuantization(method: .fp8, bits: 8, quantizedActivations: true, zeroPoints: false))
    let w4a16 = try scheme(["num_bits": 4, "type": "int", "strategy": "group", "group_size": 128, "symmetric": true])
    #expect(w4a16?.method == .gptq && w4a16?.groupSize == 128 && w4a16?.zeroPoints == false)
    #expect(w4a16?.quantizedActivations == false)
  }

  // MARK: --weight-dtype

  @Test func parseReadsEveryPrecisionAndRoundTripsLabels() throws {
    #expect(try WeightQuantization.parse("bf16") == nil)
    #expect(try WeightQuantization.parse("fp16") == nil)
    #expect(try WeightQuantization.parse("fp8")?.label == "fp8")
    // int8 is w8a8 (vLLM's int8 W8A8); int8 weight-only is spelled with its group, int8-g<N>.
    #expect(try WeightQuantization.parse("int8") == .int8)
    #expect(try WeightQuantization.parse("int8")?.quantizedActivations == true)
    #expect(try WeightQuantization.parse("int8-g128")?.quantizedActivations == false)
    #expect(
      WeightQuantization.unquantizedDType("BFloat16") == .bf16 && WeightQuantization.unquantizedDType("fp8") == nil)
    #expect(try WeightQuantization.parse("int4") == WeightQuantization.parse("int4-g128"))
    #expect(try WeightQuantization.parse("int4-g64")?.groupSize == 64)
    #expect(try WeightQuantization.parse("int8-g128")?.method == .gptq)
    #expect(try WeightQuantization.parse("gptq")?.bits == 4)
    for text in ["fp8", "fp8-b128", "int8", "int4-g128", "int4-g32", "int4-channel", "int8-g128", "int8-channel"] {
      #expect(try WeightQuantization.parse(text)?.label == text)
    }
  }

  @Test func parseChecksGroupSizesAgainstThePlausibilityRange() throws {
    let range = Plausibility.quantizationGroupSize
    for group in [range.lower, 100, range.upper] {
      #expect(try WeightQuantization.parse("int4-g\(group)")?.groupSize == group)
      #expect(try WeightQuantization.parse("int8-g\(group)")?.groupSize == group)
    }
    for group in [range.lower - 1, range.upper + 1] {
      #expect(throws: WeightQuantization.ParseError.self) { try WeightQuantization.parse("int8-g\(group)") }
    }
  }

  @Test func parseRefusesUnknownPrecisionsOnOneLine() throws {
    for text in ["int3", "fp4", "int4-g0", "int4-gx", "nf4", "", "int8-g", "auto"] {
      do {
        _ = try WeightQuantization.parse(text)
        Issue.record("\(text) should be refused")
      } catch let error as WeightQuantization.ParseError {
        #expect(error.description.hasPrefix("\"\(text)\""))
        #expect(!error.description.contains("\n"))
        #expect(error.description.contains("allowed") || error.description.contains("group size"))
      }
    }
  }

  @Test func withWeightsRequantizesACatalogModel() throws {
    let model = try Fixtures.catalog.model("llama-2-7b")
    let fp8 = model.withWeights(try WeightQuantization.parse("fp8"))
    // 6,476,005,376 weights × 1 B + one 4-byte scale per output channel
    // (32·(4·4096 + 2·11008 + 4096)) + 262,410,240 others × 2 B.
    let scales: Double = 4 * 32 * (4 * 4096 + 2 * 11008 + 4096)
    let expected: Double = 6_476_005_376 + scales + 262_410_240 * 2
    #expect(fp8.weightBytes() == expected)
    #expect(fp8.parameterCount == model.parameterCount)
    #expect(fp8.kvCacheBytesPerToken == model.kvCacheBytesPerToken)
    #expect(fp8.withWeights(nil).weightBytes() == model.weightBytes())
    // int8 (w8a8) stores the same as per-channel fp8: 1 byte per weight, one fp32 scale per
    // output channel, no zero points.
    let int8 = model.withWeights(try WeightQuantization.parse("int8"))
    #expect(int8.weightBytes() == expected)
  }
}
