import PlanCore
import Testing

@testable import Analytic

/// The two size effects calibration can switch on: GEMM wave quantisation (β, needs the GPU's
/// SM count) and L2-resident streaming bytes (κ, needs its L2 size). Expected times are the
/// tile and byte arithmetic written out; β = 0 and κ = 1 must leave every time as it was.
@Suite struct CostModelWaveAndCacheTests {
  /// The fixture A100 80GB with its architecture figures (A100 whitepaper: 108 SMs, 40 MB L2).
  static func a100(waveQuantization: Double = 0, l2ByteCost: Double = 1) -> GPUSpec {
    var gpu = Fixtures.a100_80gb
    gpu.streamingMultiprocessors = 108
    gpu.l2CacheBytes = 40e6
    gpu.efficiency.waveQuantization = waveQuantization
    gpu.efficiency.l2ByteCost = l2ByteCost
    return gpu
  }

  func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

  @Test func offByDefaultTheTimesAreUnchanged() throws {
    let plain = try CostModel(model: Fixtures.llama2_7b, gpu: Fixtures.a100_80gb, tp: 1)
    let described = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(), tp: 1)
    for tokens in [1, 129, 2000, 4096] {
      // Attention is excluded: its own law uses the SM count whatever β and κ are (the longest
      // prefill tile and the decode waves over the SMs; see AttentionLawTests).
      for kind in OperatorKind.allCases where kind != .attention {
        let batch = BatchShape.prefill(tokens: tokens)
        // Bit for bit: knowing the SM count and L2 size changes nothing until β or κ says so.
        #expect(described.cost(kind, batch: batch).seconds == plain.cost(kind, batch: batch).seconds, "\(kind)")
      }
    }
  }

  @Test func aPartlyFilledLastWaveCostsBetaOfItsIdleTiles() throws {
    // out_proj of Llama-2-7B over 2000 tokens: output 2000 × 4096, 128 × 128 tiles:
    // ⌈2000/128⌉ = 16 row tiles × 32 column tiles = 512 tiles; 108 SMs run them in
    // ⌈512/108⌉ = 5 waves = 540 tile slots of 128 · 128 outputs, against 2000 · 4096 real ones:
    // padding = 540 · 16384 / 8,192,000 = 1.08. With β = 0.5 the GEMM is timed as
    // F · (1 + 0.5 · 0.08) = 1.04 F, on the same law: (1.04 F + peak · 10 µs) / (peak · 0.80)
    // plus the 4 µs launch (fixture law).
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(waveQuantization: 0.5), tp: 1)
    let flops = 2.0 * 2000 * 4096 * 4096
    let padding = 540.0 * 128 * 128 / (2000 * 4096)
    #expect(abs(padding - 1.08) < 1e-12)
    let expected = (flops * (1 + 0.5 * (padding - 1)) + 312e12 * 10e-6) / (312e12 * 0.80) + 4e-6
    let op = cost.cost(.outProj, batch: .prefill(tokens: 2000))
    #expect(op.bound == .compute)
    #expect(relative(op.seconds, expected) < 1e-12)
    // FLOPs stay the real ones: padding is time, not work.
    #expect(op.flops == flops)
  }

  @Test func wholeWavesOfWholeTilesCostNothingExtraWhateverBeta() throws {
    // 3456 = 27 · 128 tokens × 4096 = 32 · 128 columns: 864 tiles = 8 waves of 108 exactly.
    let batch = BatchShape.prefill(tokens: 3456)
    let none = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(), tp: 1).cost(.outProj, batch: batch)
    let full = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(waveQuantization: 1), tp: 1).cost(
      .outProj, batch: batch)
    #expect(relative(full.seconds, none.seconds) < 1e-12)
    // One token more opens a 28th row of tiles: 896 tiles, 9 waves = 972 slots, padding
    // 972 · 16384 / (3457 · 4096); the full staircase (β = 1) charges all of it.
    let flops = 2.0 * 3457 * 4096 * 4096
    let padding = 972.0 * 128 * 128 / (3457 * 4096)
    let stepped = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(waveQuantization: 1), tp: 1).cost(
      .outProj, batch: .prefill(tokens: 3457))
    let expected = (flops * padding + 312e12 * 10e-6) / (312e12 * 0.80) + 4e-6
    #expect(relative(stepped.seconds, expected) < 1e-12)
  }

  @Test func streamingBytesThatFitInOneL2PartitionCostKappa() throws {
    // input_norm reads and writes tokens × 4096 fp16 values and reads the 4096 weights:
    // bytes = (2 · T · 4096 + 4096) · 2. One L2 partition of the 40 MB L2 holds 20 MB.
    // Fixture memory law: time = (effective bytes + 2.039e12 · 2 µs) / (2.039e12 · 0.85) + 4 µs.
    let kappa = 0.5
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(l2ByteCost: kappa), tp: 1)
    let half = 2.039e12 * 2e-6
    func expected(_ effective: Double) -> Double { (effective + half) / (2.039e12 * 0.85) + 4e-6 }
    // 100 tokens: 1.65 MB, all resident.
    let small = (2.0 * 100 * 4096 + 4096) * 2
    #expect(relative(cost.cost(.inputNorm, batch: .prefill(tokens: 100)).seconds, expected(kappa * small)) < 1e-12)
    // 4000 tokens: 65.5 MB, of which 20 MB resident and the rest from HBM.
    let large = (2.0 * 4000 * 4096 + 4096) * 2
    #expect(
      relative(cost.cost(.inputNorm, batch: .prefill(tokens: 4000)).seconds, expected(kappa * 20e6 + large - 20e6))
        < 1e-12)
  }

  @Test func theTwoResidualAddsFitInL2EachOnTheirOwn() throws {
    // residual_add books the layer's two adds together (2 kernels, 2 · 3 · T · 4096 · 2 bytes);
    // each add is its own kernel, so each compares its own 3 · T · 4096 · 2 bytes with the
    // 20 MB partition. At 600 tokens each add moves 14.7 MB (resident) though both together
    // move 29.5 MB: all of it costs κ.
    let kappa = 0.7
    let cost = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(l2ByteCost: kappa), tp: 1)
    let bytes = 2 * 3 * 600.0 * 4096 * 2
    let expected = (kappa * bytes + 2.039e12 * 2e-6) / (2.039e12 * 0.85) + 2 * 4e-6
    #expect(relative(cost.cost(.residualAdd, batch: .prefill(tokens: 600)).seconds, expected) < 1e-12)
  }

  @Test func gemmsIgnoreL2AndStreamingKernelsIgnoreWaves() throws {
    // Weights are not L2-resident in serving (every layer's weights pass through between two
    // uses), and wave quantisation describes tensor-core tiles, not element-wise kernels.
    let batch = BatchShape.prefill(tokens: 300)
    let plain = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(), tp: 1)
    let cached = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(l2ByteCost: 0.3), tp: 1)
    let waved = try CostModel(model: Fixtures.llama2_7b, gpu: Self.a100(waveQuantization: 1), tp: 1)
    for kind in [OperatorKind.qkvProj, .outProj, .mlpUpProj, .mlpDownProj] {
      #expect(cached.cost(kind, batch: batch).seconds == plain.cost(kind, batch: batch).seconds, "\(kind)")
    }
    for kind in [OperatorKind.inputNorm, .postAttentionNorm, .residualAdd, .mlpAct, .embedding] {
      #expect(waved.cost(kind, batch: batch).seconds == plain.cost(kind, batch: batch).seconds, "\(kind)")
    }
  }
}
