import PlanCore

@testable import Analytic

/// Specs built in code (independent of the catalog files), with their published sources.
enum Fixtures {
  /// Llama-2-7B (Touvron et al. 2023, HF `meta-llama/Llama-2-7b-hf` config.json).
  static let llama2_7b = ModelSpec(
    name: "llama-2-7b", hiddenSize: 4096, numLayers: 32, numHeads: 32, intermediateSize: 11008, vocabSize: 32000,
    maxPositionEmbeddings: 4096, dtype: .fp16, gatedMLP: true, activation: "silu", normalization: .rmsNorm,
    positionEmbedding: .rotary)

  /// Llama-2-13B (HF `meta-llama/Llama-2-13b-hf` config.json).
  static let llama2_13b = ModelSpec(
    name: "llama-2-13b", hiddenSize: 5120, numLayers: 40, numHeads: 40, intermediateSize: 13824, vocabSize: 32000,
    maxPositionEmbeddings: 4096, dtype: .fp16, gatedMLP: true, activation: "silu", normalization: .rmsNorm,
    positionEmbedding: .rotary)

  /// Llama-3-8B (HF `meta-llama/Meta-Llama-3-8B` config.json): GQA with 8 KV heads.
  static let llama3_8b = ModelSpec(
    name: "llama-3-8b", hiddenSize: 4096, numLayers: 32, numHeads: 32, numKVHeads: 8, intermediateSize: 14336,
    vocabSize: 128256, maxPositionEmbeddings: 8192, dtype: .bf16, gatedMLP: true, activation: "silu",
    normalization: .rmsNorm, positionEmbedding: .rotary)

  /// GPT-3 175B (Brown et al. 2020, Table 2.1: d_model 12288, 96 layers, 96 heads, context
  /// 2048; GPT-2 vocabulary of 50257; 4·d MLP with GELU, LayerNorm, learned positions, biases,
  /// tied embeddings).
  static let gpt3_175b = ModelSpec(
    name: "gpt-3-175b", hiddenSize: 12288, numLayers: 96, numHeads: 96, intermediateSize: 49152, vocabSize: 50257,
    maxPositionEmbeddings: 2048, dtype: .fp16, gatedMLP: false, activation: "gelu_new", tieWordEmbeddings: true,
    normalization: .layerNorm, positionEmbedding: .learned, attentionBias: true, mlpBias: true)

  /// The datasheet efficiency law of the issue: compute_max, half saturation = peak × 10 µs,
  /// memory_max 0.85, half saturation = HBM bandwidth × 2 µs, 4 µs launches, collectives at most
  /// 0.80 of the link, half saturation = NVLink per-direction bandwidth × 8 µs, 5 µs per
  /// collective step, 1 ms per iteration.
  static func datasheetLaw(
    peak: Double, computeMax: Double, hbm: Double, nvlinkPerDirection: Double
  ) -> EfficiencyProfile {
    EfficiencyProfile(
      computeMax: computeMax, computeHalfSaturationFLOPs: peak * 10e-6, memoryMax: 0.85,
      memoryHalfSaturationBytes: hbm * 2e-6, kernelLaunchSeconds: 4e-6, collectiveBandwidthMax: 0.80,
      collectiveHalfSaturationBytes: nvlinkPerDirection * 8e-6, collectiveStepSeconds: 5e-6,
      iterationOverheadSeconds: 1e-3, source: "datasheet law (test fixture)")
  }

  /// NVIDIA A100 80GB SXM datasheet: 312 TFLOP/s dense fp16/bf16, 80 GB, 2039 GB/s, NVLink 3 at
  /// 600 GB/s bidirectional = 300 GB/s per direction.
  static let a100_80gb = GPUSpec(
    name: "a100-80gb", displayName: "A100 80GB", peakFLOPSPerSecond: [.fp16: 312e12, .bf16: 312e12],
    memoryBytes: 80e9, memoryBandwidthBytesPerSecond: 2.039e12, intraNodeLinkBytesPerSecond: 300e9,
    intraNodeLinkName: "NVLink 3",
    efficiency: datasheetLaw(peak: 312e12, computeMax: 0.80, hbm: 2.039e12, nvlinkPerDirection: 300e9),
    source: "NVIDIA A100 datasheet")

  /// NVIDIA A100 40GB SXM datasheet: 312 TFLOP/s, 40 GB, 1555 GB/s.
  static let a100_40gb = GPUSpec(
    name: "a100-40gb", displayName: "A100 40GB", peakFLOPSPerSecond: [.fp16: 312e12, .bf16: 312e12],
    memoryBytes: 40e9, memoryBandwidthBytesPerSecond: 1.555e12, intraNodeLinkBytesPerSecond: 300e9,
    intraNodeLinkName: "NVLink 3",
    efficiency: datasheetLaw(peak: 312e12, computeMax: 0.80, hbm: 1.555e12, nvlinkPerDirection: 300e9),
    source: "NVIDIA A100 datasheet")

  /// An 8-GPU NVSwitch node: each GPU linked to one switch vertex at 300 GB/s per direction.
  static let nvswitch8: Cluster = {
    var names = (0..<8).map { "node0/gpu\($0)" }
    names.append("node0/nvswitch")
    let links = (0..<8).map { Cluster.Link(a: $0, b: 8, bytesPerSecond: 300e9, latencySeconds: 0, kind: "nvlink") }
    return Cluster(
      name: "nvswitch8", vertexNames: names, gpuCount: 8, nodeOfGPU: Array(repeating: 0, count: 8),
      nodeNames: ["node0"], links: links)
  }()

  /// Four GPUs on a ring 0–1–2–3–0 of 600 Gbit/s (75 GB/s) links, plus the two diagonals
  /// 0–2 and 1–3 at 300 Gbit/s (37.5 GB/s).
  static let ring4: Cluster = {
    let names = (0..<4).map { "node0/gpu\($0)" }
    var links = (0..<4).map {
      Cluster.Link(a: $0, b: ($0 + 1) % 4, bytesPerSecond: 75e9, latencySeconds: 0, kind: "ring")
    }
    links.append(Cluster.Link(a: 0, b: 2, bytesPerSecond: 37.5e9, latencySeconds: 0, kind: "cross"))
    links.append(Cluster.Link(a: 1, b: 3, bytesPerSecond: 37.5e9, latencySeconds: 0, kind: "cross"))
    return Cluster(
      name: "ring4", vertexNames: names, gpuCount: 4, nodeOfGPU: [0, 0, 0, 0], nodeNames: ["node0"], links: links)
  }()
}
