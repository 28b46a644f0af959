import Foundation
import PlanCore
import Testing

@testable import Simulation

/// The sampler refuses distribution parameters it cannot represent, before drawing anything.
@Suite struct SamplerParameterTests {
  func gamma(cv: Double, rate: Double = 10, duration: Double = 60) -> Workload {
    Fixture.workload(
      rate: rate, duration: duration, prompt: .fixed(10), output: .fixed(10),
      arrival: .gamma(coefficientOfVariation: cv))
  }

  /// CV 10⁹ means Gamma(10⁻¹⁸, ·) gaps: U^(10¹⁸) is 0 for every double U < 1, so time never
  /// advanced and the draw filled memory. It is now an error naming the representable range.
  @Test func gammaCVOfTenToTheNineIsRefused() {
    do {
      _ = try SampledRequests.sample(gamma(cv: 1e9), seed: 1)
      Issue.record("expected invalidWorkload")
    } catch let error as SimulationError {
      #expect(
        "\(error)" == "invalid workload: gamma arrivals need a coefficient of variation in 0.01 … 20 (got 1000000000.0)"
      )
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func gammaCVBelowTheRangeIsRefused() {
    #expect(throws: SimulationError.self) { try SampledRequests.sample(gamma(cv: 1e-300), seed: 1) }
  }

  /// At the top of the range the process is still a renewal process with mean gap 1/rate: over
  /// 2·10⁵ expected arrivals the count stays finite and positive and every time lies in the window.
  @Test func gammaCVAtTheLimitStillDraws() throws {
    let requests = try SampledRequests.sample(gamma(cv: 20, rate: 1000, duration: 200), seed: 3)
    #expect(requests.count > 0)
    #expect(requests.count <= SampledRequests.maximumRequests)
    #expect(requests.arrivalSeconds.allSatisfy { $0.isFinite && $0 >= 0 && $0 < 200 })
  }

  @Test func tokenLimitIsTheOneFilesAreReadWith() {
    #expect(SampledRequests.maximumTokens == Plausibility.tokens.upper)
    #expect(throws: SimulationError.self) {
      try SampledRequests.sample(
        Fixture.workload(rate: 1, duration: 10, prompt: .fixed(100_000_001), output: .fixed(1)), seed: 1)
    }
  }

  /// 0.3 req/s for 10⁶ s of 1500-token answers is 4.5·10⁸ generated tokens (minutes of
  /// simulation per run): refused before drawing; the same workload over 10⁵ s (4.5·10⁷) is not.
  @Test func aRunOfMoreThanTenToTheEightGeneratedTokensIsRefused() throws {
    func workload(duration: Double) -> Workload {
      Fixture.workload(rate: 0.3, duration: duration, prompt: .fixed(10), output: .fixed(1500), arrival: .poisson)
    }
    do {
      _ = try SampledRequests.sample(workload(duration: 1e6), seed: 1)
      Issue.record("expected invalidWorkload")
    } catch let error as SimulationError {
      #expect("\(error)".contains("450000000 generated tokens") && "\(error)".contains("limited to 10⁸"))
    }
    #expect(try SampledRequests.sample(workload(duration: 1e5), seed: 1).count > 0)
  }
}
