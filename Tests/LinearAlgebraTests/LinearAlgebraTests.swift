import Foundation
import Testing

@testable import LinearAlgebra

@Suite struct SolveTests {
  @Test func solvesAKnownThreeByThreeSystem() throws {
    // 2x + y − z = 8, −3x − y + 2z = −11, −2x + y + 2z = −3  ⇒  (2, 3, −1).
    let a = try Matrix([[2, 1, -1], [-3, -1, 2], [-2, 1, 2]])
    let x = try solve(a, [8, -11, -3])
    #expect(abs(x[0] - 2) < 1e-12)
    #expect(abs(x[1] - 3) < 1e-12)
    #expect(abs(x[2] + 1) < 1e-12)
  }

  @Test func solvesSeveralRightHandSidesWithOneFactorisation() throws {
    let a = try Matrix([[4, 1], [1, 3]])
    let xs = try solve(a, columns: [[1, 2], [5, 6]])
    for (x, b) in zip(xs, [[1.0, 2.0], [5.0, 6.0]]) {
      let back = try a.multiply(x)
      #expect(abs(back[0] - b[0]) < 1e-12 && abs(back[1] - b[1]) < 1e-12)
    }
  }

  @Test func singularMatrixThrows() throws {
    // Second row is twice the first: rank 1.
    let a = try Matrix([[1, 2], [2, 4]])
    #expect(throws: LinearAlgebraError.self) { try solve(a, [1, 2]) }
  }

  @Test func nearlySingularMatrixThrowsInsteadOfReturningGarbage() throws {
    let a = try Matrix([[1, 1], [1, 1 + 1e-17]])
    #expect(throws: LinearAlgebraError.self) { try solve(a, [1, 2]) }
  }

  @Test func nonFiniteInputAndShapeErrorsThrow() throws {
    let a = try Matrix([[1, 0], [0, .nan]])
    #expect(throws: LinearAlgebraError.notFinite("matrix A")) { try solve(a, [1, 1]) }
    let b = try Matrix([[1, 0, 0], [0, 1, 0]])
    #expect(throws: LinearAlgebraError.self) { try solve(b, [1, 1]) }
    #expect(throws: LinearAlgebraError.self) { try Matrix([[1, 2], [3]]) }
  }
}

@Suite struct BandedSolveTests {
  /// The 1-D Poisson matrix tridiag(−1, 2, −1) of size 2000, with a known solution:
  /// check the residual ‖A x − b‖∞ rather than trusting the solver.
  @Test func largeTridiagonalSystemHasSmallResidual() throws {
    let n = 2000
    let sub = [Double](repeating: -1, count: n - 1)
    let diag = [Double](repeating: 2, count: n)
    let sup = [Double](repeating: -1, count: n - 1)
    let truth = (0..<n).map { sin(Double($0) * 0.01) + 1 }
    var b = [Double](repeating: 0, count: n)
    for i in 0..<n {
      b[i] = 2 * truth[i] - (i > 0 ? truth[i - 1] : 0) - (i < n - 1 ? truth[i + 1] : 0)
    }
    let x = try solveTridiagonal(sub: sub, diagonal: diag, sup: sup, rhs: b)
    var worstResidual = 0.0
    for i in 0..<n {
      let ax = 2 * x[i] - (i > 0 ? x[i - 1] : 0) - (i < n - 1 ? x[i + 1] : 0)
      worstResidual = max(worstResidual, abs(ax - b[i]))
    }
    #expect(worstResidual < 1e-9)
    // Condition number of this matrix is ~n²: allow the matching forward error.
    #expect(zip(x, truth).allSatisfy { abs($0 - $1) < 1e-5 })
  }

  @Test func bandedSolveMatchesDenseSolve() throws {
    // A pentadiagonal (2 lower, 2 upper), diagonally dominant matrix.
    let n = 12
    var band = BandMatrix(size: n, lower: 2, upper: 2)
    var dense = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in max(0, i - 2)...min(n - 1, i + 2) {
        let value = i == j ? 10.0 + Double(i) : 1.0 / Double(1 + i + j)
        band[i, j] = value
        dense[i, j] = value
      }
    }
    let b = (0..<n).map { Double($0) - 3 }
    let xBand = try solveBanded(band, b)
    let xDense = try solve(dense, b)
    #expect(zip(xBand, xDense).allSatisfy { abs($0 - $1) < 1e-12 })
  }

  @Test func singularTridiagonalThrows() throws {
    #expect(throws: LinearAlgebraError.self) {
      try solveTridiagonal(sub: [1], diagonal: [1, 1], sup: [1], rhs: [1, 2])
    }
  }
}

@Suite struct LeastSquaresTests {
  /// Data generated from y = 3 + 2x − 0.5x² with a small deterministic perturbation:
  /// the fit must recover the generating coefficients.
  @Test func overdeterminedFitRecoversGeneratingCoefficients() throws {
    let xs = (0..<50).map { Double($0) / 5 }
    var a = Matrix(rows: xs.count, columns: 3)
    var y = [Double]()
    for (i, x) in xs.enumerated() {
      a[i, 0] = 1
      a[i, 1] = x
      a[i, 2] = x * x
      let perturbation = 1e-3 * sin(Double(i) * 12.9898)  // zero-mean-ish, tiny
      y.append(3 + 2 * x - 0.5 * x * x + perturbation)
    }
    let fit = try leastSquares(a, y)
    #expect(fit.isFullRank)
    #expect(abs(fit.coefficients[0] - 3) < 2e-3)
    #expect(abs(fit.coefficients[1] - 2) < 2e-3)
    #expect(abs(fit.coefficients[2] + 0.5) < 2e-4)
    #expect(fit.residualNorm < 1e-2)
  }

  @Test func exactFitHasZeroResidual() throws {
    let a = try Matrix([[1, 1], [1, 2], [1, 3]])
    let fit = try leastSquares(a, [3, 5, 7])  // y = 1 + 2x
    #expect(abs(fit.coefficients[0] - 1) < 1e-12)
    #expect(abs(fit.coefficients[1] - 2) < 1e-12)
    #expect(fit.residualNorm < 1e-12)
  }

  @Test func rankDeficientFitReportsRank() throws {
    // Two identical columns: only their sum is determined.
    let a = try Matrix([[1, 1], [2, 2], [3, 3]])
    let fit = try leastSquares(a, [2, 4, 6])
    #expect(fit.rank == 1)
    #expect(!fit.isFullRank)
    #expect(abs(fit.coefficients[0] + fit.coefficients[1] - 2) < 1e-12)
  }
}

@Suite struct MarkovChainTests {
  /// Two-state chain with rates a (0→1) and b (1→0): π = (b, a) / (a + b).
  @Test func twoStateChain() throws {
    let q = try Matrix([[-3, 3], [1, -1]])
    let pi = try stationaryDistribution(generator: q)
    #expect(abs(pi[0] - 0.25) < 1e-12)
    #expect(abs(pi[1] - 0.75) < 1e-12)
  }

  /// M/M/1/K: π_k ∝ ρ^k. The tridiagonal solver must agree with the closed form.
  @Test func birthDeathMatchesGeometricClosedForm() throws {
    let lambda = 0.8
    let mu = 1.0
    let k = 40
    let pi = try birthDeathStationaryDistribution(
      birth: .init(repeating: lambda, count: k), death: .init(repeating: mu, count: k))
    let rho = lambda / mu
    let norm = (1 - pow(rho, Double(k + 1))) / (1 - rho)
    for state in 0...k {
      #expect(abs(pi[state] - pow(rho, Double(state)) / norm) < 1e-12)
    }
  }

  @Test func longOverloadedChainDoesNotOverflow() throws {
    // ρ = 3 over 5000 states: ρ^5000 overflows a Double; the anchored solve must not.
    let pi = try birthDeathStationaryDistribution(
      birth: .init(repeating: 3, count: 5000), death: .init(repeating: 1, count: 5000))
    #expect(pi.allSatisfy { $0.isFinite })
    #expect(abs(pi.reduce(0, +) - 1) < 1e-12)
    #expect(abs(pi[5000] - 2.0 / 3.0) < 1e-9)  // tail mass of a geometric with ratio 1/3
  }

  @Test func reducibleChainThrows() throws {
    // State 2 is absorbing and unreachable from 0/1 in the other direction: no unique π.
    let q = try Matrix([[-1, 1, 0], [1, -1, 0], [0, 0, 0]])
    #expect(throws: LinearAlgebraError.self) { try stationaryDistribution(generator: q) }
  }

  @Test func generatorWithBadRowsThrows() throws {
    let q = try Matrix([[-1, 2], [1, -1]])
    #expect(throws: LinearAlgebraError.self) { try stationaryDistribution(generator: q) }
  }
}
