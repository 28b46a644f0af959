import Foundation
import PlanCore
import Simulation
import Testing

@Suite struct WorkloadSamplingTests {
  @Test func splitMix64MatchesTheReferenceImplementation() {
    // First outputs of Vigna's splitmix64.c from state 0 (widely reproduced test vector).
    var generator = SplitMix64(seed: 0)
    #expect(generator.next() == 0xE220_A839_7B1D_CDAF)
    #expect(generator.next() == 0x6E78_9E6A_A1B9_65F4)
  }

  @Test func variatesHaveTheirMoments() {
    // n = 200,000 draws: the sample mean's standard error is σ/√n; 5 SE bands.
    var random = Xoshiro256StarStar(seed: 99)
    let n = 200_000
    func moments(_ draw: () -> Double) -> (Double, Double) {
      var sum = 0.0
      var squares = 0.0
      for _ in 0..<n {
        let x = draw()
        sum += x
        squares += x * x
      }
      let mean = sum / Double(n)
      return (mean, squares / Double(n) - mean * mean)
    }
    let (uMean, uVar) = moments { random.uniform() }
    #expect(abs(uMean - 0.5) < 5 * (1.0 / 12).squareRoot() / Double(n).squareRoot())
    #expect(abs(uVar - 1.0 / 12) < 0.002)
    let (eMean, _) = moments { random.exponential(rate: 4) }
    #expect(abs(eMean - 0.25) < 5 * 0.25 / Double(n).squareRoot())
    let (zMean, zVar) = moments { random.standardNormal() }
    #expect(abs(zMean) < 5 / Double(n).squareRoot())
    #expect(abs(zVar - 1) < 0.015)
    // Gamma(k, θ): mean kθ, variance kθ²; one shape below 1 (boosted branch), one above.
    for (shape, scale) in [(0.25, 2.0), (3.0, 0.5)] {
      let (gMean, gVar) = moments { random.gamma(shape: shape, scale: scale) }
      let sd = (shape * scale * scale).squareRoot()
      #expect(abs(gMean - shape * scale) < 5 * sd / Double(n).squareRoot())
      #expect(abs(gVar / (shape * scale * scale) - 1) < 0.05)
    }
    let (geoMean, _) = moments { Double(random.geometric(successProbability: 0.1)) }
    // Geometric(0.1): mean 10, variance (1 − p)/p² = 90.
    #expect(abs(geoMean - 10) < 5 * 90.0.squareRoot() / Double(n).squareRoot())
  }

  @Test func poissonCountAndGammaBurstiness() throws {
    // Poisson: count over T is Poisson(λT); 20 req/s × 2000 s = 40,000 ± 200 (1 σ).
    let poisson = Workload(
      rateRequestsPerSecond: 20, arrival: .poisson,
      profiles: [ClientProfile(name: "a", prompt: .fixed(1), output: .fixed(1))],
      durationSeconds: 2000, seed: 5)
    let sampled = try SampledRequests.sample(poisson, seed: 5)
    #expect(abs(Double(sampled.count) - 40_000) < 5 * 200)
    // Gamma gaps with CV 3: sample CV of gaps ≈ 3 (gaps are independent; with 40k gaps the
    // CV's relative error is a few per cent for this heavy-ish tail).
    var gamma = poisson
    gamma.arrival = .gamma(coefficientOfVariation: 3)
    let bursty = try SampledRequests.sample(gamma, seed: 5)
    var gaps: [Double] = []
    var previous = 0.0
    for time in bursty.arrivalSeconds {
      gaps.append(time - previous)
      previous = time
    }
    let mean = gaps.reduce(0, +) / Double(gaps.count)
    let sd = (gaps.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(gaps.count)).squareRoot()
    #expect(abs(mean - 0.05) < 0.05 * 0.05)
    #expect(abs(sd / mean - 3) < 0.3)
    // Constant: arrivals at 0, 1/λ, 2/λ, … below the duration: ⌈λT⌉ of them.
    var constant = poisson
    constant.arrival = .constant
    constant.rateRequestsPerSecond = 3
    constant.durationSeconds = 10.1
    #expect(try SampledRequests.sample(constant, seed: 1).count == 31)
  }

  @Test func lengthsFollowTheirDistributionsAndProfileWeights() throws {
    let workload = Workload(
      rateRequestsPerSecond: 100,
      profiles: [
        ClientProfile(
          name: "chat", weight: 3, prompt: .uniform(low: 10, high: 30),
          output: .logNormal(median: 200, sigma: 0.5, min: 1, max: 100_000)),
        ClientProfile(
          name: "sum", weight: 1, prompt: .fixed(2000),
          output: .normal(mean: 50, standardDeviation: 30, min: 20, max: 80)),
      ], durationSeconds: 400, seed: 8)
    let sampled = try SampledRequests.sample(workload, seed: 8)
    let n = sampled.count
    let chat = (0..<n).filter { sampled.profileIndex[$0] == 0 }
    let summarise = (0..<n).filter { sampled.profileIndex[$0] == 1 }
    // Weights 3 : 1 → share 0.75 ± 5 binomial σ.
    let share = Double(chat.count) / Double(n)
    #expect(abs(share - 0.75) < 5 * (0.75 * 0.25 / Double(n)).squareRoot())
    // Uniform 10…30: within bounds, mean 20.
    let prompts = chat.map { Int(sampled.promptTokens[$0]) }
    #expect(prompts.allSatisfy { $0 >= 10 && $0 <= 30 })
    #expect(abs(Double(prompts.reduce(0, +)) / Double(prompts.count) - 20) < 0.2)
    #expect(Set(prompts).count == 21)  // every integer reached
    // Log-normal: the sample median ≈ the median parameter (200); rounding moves it < 1.
    let outputs = chat.map { Int(sampled.outputTokens[$0]) }.sorted()
    #expect(abs(Double(outputs[outputs.count / 2]) - 200) < 5)
    // Normal clipped to 20…80: nothing outside, and both bounds hit (σ = 30 around 50).
    let clipped = summarise.map { Int(sampled.outputTokens[$0]) }
    #expect(clipped.allSatisfy { $0 >= 20 && $0 <= 80 })
    #expect(clipped.contains(20) && clipped.contains(80))
    #expect(summarise.allSatisfy { sampled.promptTokens[$0] == 2000 })
  }

  @Test func lengthsDoNotShiftArrivals() throws {
    // Arrival times come from their own stream: changing the length distributions keeps them.
    var workload = Workload(
      rateRequestsPerSecond: 5, profiles: [ClientProfile(name: "a", prompt: .fixed(10), output: .fixed(10))],
      durationSeconds: 100, seed: 3)
    let first = try SampledRequests.sample(workload, seed: 3)
    workload.profiles = [
      ClientProfile(
        name: "a", prompt: .uniform(low: 1, high: 1000), output: .logNormal(median: 9, sigma: 1, min: 1, max: 99))
    ]
    let second = try SampledRequests.sample(workload, seed: 3)
    #expect(first.arrivalSeconds == second.arrivalSeconds)
    #expect(first.promptTokens != second.promptTokens)
  }
}
