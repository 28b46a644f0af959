import PlanCore
import Testing

@testable import Analytic

/// The attention law's invariants: work counts from first principles, bounds from the
/// datasheet, steps where the SMs run out, and the fp8 / GDDR rules of the kernel laws.
@Suite struct AttentionLawTests {
  /// H100 SXM figures from its datasheet (989.4 TFLOP/s dense bf16, 3.35 TB/s) and 132 SMs.
  static let h100 = AttentionHardware(
    peakFLOPSPerSecond: 989.4e12, bandwidthBytesPerSecond: 3.35e12, streamingMultiprocessors: 132)
  static let law = AttentionEfficiency.datasheetDefault

  static func prefill(
    batch: Int = 1, tokens: Double, heads: Int = 8, kvHeads: Int = 1, headDim: Int = 128
  )
    -> AttentionCall
  {
    AttentionCall(
      phase: .prefill, sequences: batch, queryTokens: tokens, contextTokens: 0, queryHeads: heads, kvHeads: kvHeads,
      headDim: headDim)
  }

  static func decode(
    batch: Int, context: Double, kvHeads: Int = 1, headDim: Int = 128, kvBytes: Double = 2
  )
    -> AttentionCall
  {
    AttentionCall(
      phase: .decode, sequences: batch, queryTokens: 1, contextTokens: context, queryHeads: 8 * kvHeads,
      kvHeads: kvHeads, headDim: headDim, kvElementBytes: kvBytes)
  }

  @Test func causalPrefillFLOPsCountTheLowerTriangle() {
    // One sequence of n tokens scores n(n+1)/2 (query, key) pairs; each costs 2·d (QKᵀ) and
    // 2·d (P·V) FLOPs per query head.
    for n in [1.0, 7, 512, 4096] {
      let call = Self.prefill(batch: 3, tokens: n, heads: 16, kvHeads: 2, headDim: 128)
      let expected = 3 * 2 * 2 * 128 * 16 * n * (n + 1) / 2
      #expect(abs(call.flops - expected) <= 1e-9 * expected)
    }
  }

  @Test func decodeIsNeverFasterThanItsKVBytesAtDatasheetBandwidth() {
    for batch in [1, 8, 64, 512] {
      for context in [16.0, 1024, 32768] {
        for kvBytes in [2.0, 1.0] {
          let call = Self.decode(batch: batch, context: context, kvHeads: 2, kvBytes: kvBytes)
          let seconds = AttentionLaw.seconds(call, law: Self.law, hardware: Self.h100)
          #expect(seconds >= call.kvBytes / Self.h100.bandwidthBytesPerSecond)
          // …and never below the per-call floor.
          #expect(seconds >= Self.law.decodeFloorSeconds)
        }
      }
    }
  }

  @Test func fp8CacheHalvesTheKVBytes() {
    let bf16 = Self.decode(batch: 4, context: 2048, kvBytes: 2)
    let fp8 = Self.decode(batch: 4, context: 2048, kvBytes: 1)
    #expect(fp8.kvBytes * 2 == bf16.kvBytes)
  }

  @Test func decodeWavesStepAtMultiplesOfTheSMs() {
    // 132 (sequence × KV head) units fill one wave on 132 SMs; the 133rd starts a second.
    let full = AttentionLaw.decodeFeatures(Self.decode(batch: 132, context: 2), Self.h100)
    let over = AttentionLaw.decodeFeatures(Self.decode(batch: 133, context: 2), Self.h100)
    let double = AttentionLaw.decodeFeatures(Self.decode(batch: 264, context: 2), Self.h100)
    #expect(full[2] == 1)
    #expect(over[2] == 2)
    #expect(double[2] == 2)
    let step =
      AttentionLaw.seconds(Self.decode(batch: 133, context: 2), law: Self.law, hardware: Self.h100)
      - AttentionLaw.seconds(Self.decode(batch: 132, context: 2), law: Self.law, hardware: Self.h100)
    #expect(step >= Self.law.decodeWaveSeconds + Self.law.decodeWaveSecondsPer128HeadDim)
  }

  @Test func shortCausalPromptIsBoundByItsLongestTile() {
    // One sequence, 8 heads, 2048 tokens: 8 × 16 = 128 query blocks ≤ 132 SMs, so the call
    // lasts as long as the last block (all 2048 keys), not total work / SMs.
    let call = Self.prefill(batch: 1, tokens: 2048)
    let features = AttentionLaw.prefillFeatures(call, Self.h100)
    let longest: Double = 4 * 128 * 128 * 2048
    #expect(abs(features[1] / (132 * longest / Self.h100.peakFLOPSPerSecond) - 1) < 1e-12)
    // With many sequences the padded total governs: 4 · d · 128² · B(B+1)/2 per head and sequence.
    let big = Self.prefill(batch: 64, tokens: 2048)
    let blockPairs: Double = 16 * 17 / 2  // B(B+1)/2 for B = 2048 / 128 = 16 query blocks
    let perHead: Double = 4 * 128 * 128 * 128 * blockPairs
    let padded: Double = perHead * 8 * 64
    let feature = AttentionLaw.prefillFeatures(big, Self.h100)[1]
    #expect(abs(feature / (padded / Self.h100.peakFLOPSPerSecond) - 1) < 1e-12)
  }

  @Test func prefillIsNotTimedByTheGEMMLaw() throws {
    // A 70B-class shard (8 query heads, 1 KV head, d = 128 per GPU at TP 8), one 2048-token chunk:
    // the measured FlashAttention-3 call (AIConfigurator, H100, batch 1) takes 39 µs; the
    // GEMM law's compute max of 0.73 alone would give FLOPs / (0.73 · peak) = 11.9 µs.
    let call = Self.prefill(batch: 1, tokens: 2048)
    let gemmLawSeconds = call.flops / (0.73 * Self.h100.peakFLOPSPerSecond)
    let seconds = AttentionLaw.seconds(call, law: Self.law, hardware: Self.h100)
    #expect(seconds > 2 * gemmLawSeconds)
  }

  @Test func costModelUsesKVElementBytesForDecode() throws {
    let model = Fixtures.llama3_8b
    var gpu = Fixtures.a100_80gb
    gpu.streamingMultiprocessors = 108
    let bf16 = try CostModel(model: model, gpu: gpu, tp: 1)
    let fp8 = try CostModel(model: model, gpu: gpu, tp: 1, kvCacheDType: .fp8)
    let batch = BatchShape.decode(batch: 16, context: 4096)
    let a = bf16.cost(.attention, batch: batch)
    let b = fp8.cost(.attention, batch: batch)
    #expect(b.bytes < a.bytes)
    #expect(b.seconds < a.seconds)
  }
}

/// The per-dtype GEMM law, the tensor-core kernel floor and the memory-kind rule.
@Suite struct KernelLawTests {
  static func gpu(floor: Double) -> GPUSpec {
    var gpu = Fixtures.a100_80gb
    gpu.peakFLOPSPerSecond[.fp8] = 624e12
    gpu.efficiency.computeHalfSaturationFLOPs = 0
    gpu.efficiency.memoryHalfSaturationBytes = 0
    gpu.efficiency.kernelLaunchSeconds = 1e-6
    gpu.efficiency.kernelFloorSeconds = floor
    return gpu
  }

  @Test func floorBindsTinyGEMMsOnly() throws {
    let tiny = GEMMShape(m: 16, n: 32, k: 32, dtype: .bf16)
    #expect(try CostModel.gemmSeconds(tiny, gpu: Self.gpu(floor: 2.5e-6)) == 2.5e-6)
    #expect(try CostModel.gemmSeconds(tiny, gpu: Self.gpu(floor: 0)) < 2.5e-6)
    // A large GEMM (0.55 TFLOP, ≈ 2 ms) does not notice the floor.
    let large = GEMMShape(m: 8192, n: 8192, k: 4096, dtype: .bf16)
    #expect(
      try CostModel.gemmSeconds(large, gpu: Self.gpu(floor: 2.5e-6))
        == CostModel.gemmSeconds(large, gpu: Self.gpu(floor: 0)))
  }

  @Test func fp8GEMMRunsAtTheFP8PeakWithItsOwnLaw() throws {
    var gpu = Self.gpu(floor: 0)
    let shape = GEMMShape(m: 8192, n: 8192, k: 8192, dtype: .fp8)
    let bf16 = try CostModel.gemmSeconds(GEMMShape(m: 8192, n: 8192, k: 8192, dtype: .bf16), gpu: gpu)
    let fp8 = try CostModel.gemmSeconds(shape, gpu: gpu)
    #expect(fp8 < bf16)
    gpu.efficiency.gemmDTypes["fp8"] = OperatorEfficiency(computeMax: gpu.efficiency.computeMax / 2)
    #expect(try CostModel.gemmSeconds(shape, gpu: gpu) > fp8)
  }

  @Test func fp8GEMMIsRefusedWithoutAnFP8Peak() {
    // The A100 has no fp8 tensor cores: its datasheet lists no fp8 rate.
    #expect(throws: CostModelError.self) {
      _ = try CostModel.gemmSeconds(GEMMShape(m: 64, n: 64, k: 64, dtype: .fp8), gpu: Fixtures.a100_80gb)
    }
    do {
      _ = try CostModel.gemmSeconds(GEMMShape(m: 64, n: 64, k: 64, dtype: .fp8), gpu: Fixtures.a100_80gb)
    } catch {
      #expect("\(error)".contains("fp8"))
    }
  }

  @Test func hbmFractionsAreNotCarriedToGDDR() throws {
    // A norm override fitted on HBM3 (28 % of bandwidth) applies on an HBM3e GPU, not on a GDDR6X one.
    var hbm = Fixtures.a100_80gb
    hbm.efficiency.operators["input_norm"] = OperatorEfficiency(memoryMax: 0.28)
    hbm.efficiency.operatorsFittedOn = .hbm3
    hbm.memoryKind = .hbm3e
    var gddr = hbm
    gddr.memoryKind = .gddr6x
    let batch = BatchShape.prefill(tokens: 4096)
    let onHBM = try CostModel(model: Fixtures.llama2_7b, gpu: hbm, tp: 1).cost(.inputNorm, batch: batch)
    let onGDDR = try CostModel(model: Fixtures.llama2_7b, gpu: gddr, tp: 1).cost(.inputNorm, batch: batch)
    var plain = hbm
    plain.efficiency.operators = [:]
    let withoutOverride = try CostModel(model: Fixtures.llama2_7b, gpu: plain, tp: 1).cost(.inputNorm, batch: batch)
    #expect(onGDDR.seconds == withoutOverride.seconds)
    #expect(onHBM.seconds > onGDDR.seconds)
  }
}
