/// Why a linear-algebra request could not be answered. Every routine in this module throws
/// one of these instead of trapping or returning NaN.
public enum LinearAlgebraError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The matrix is (numerically) singular; `pivot` is the 1-based index LAPACK reported.
  case singular(pivot: Int)
  /// Operand shapes do not agree.
  case dimensionMismatch(String)
  /// An input contains NaN or infinity.
  case notFinite(String)
  /// The problem has no well-defined answer (e.g. an empty system, a reducible chain).
  case illPosed(String)
  /// LAPACK reported an illegal argument or failed to converge (its INFO code).
  case lapackFailure(routine: String, info: Int)

  public var description: String {
    switch self {
    case .singular(let pivot): return "singular matrix (zero pivot at position \(pivot))"
    case .dimensionMismatch(let what): return "dimension mismatch: \(what)"
    case .notFinite(let what): return "not finite: \(what)"
    case .illPosed(let what): return "ill-posed problem: \(what)"
    case .lapackFailure(let routine, let info): return "LAPACK \(routine) failed with INFO=\(info)"
    }
  }
}

@inline(__always)
func requireFinite(_ values: [Double], _ name: String) throws {
  guard values.allSatisfy(\.isFinite) else { throw LinearAlgebraError.notFinite(name) }
}
