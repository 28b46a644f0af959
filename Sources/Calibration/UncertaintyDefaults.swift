import PlanCore

/// Error bands for a GPU profile that carries none.
public enum UncertaintyDefaults {
  /// Placeholder filled from the uncalibrated accuracy on the shared H100 data (see
  /// `uncalibratedSource`).
  public static let uncalibrated = PredictionUncertainty(
    calibrated: false, compute: ResidualQuantiles(p10: -0.35, p50: 0, p90: 0.5),
    communication: ResidualQuantiles(p10: -0.35, p50: 0, p90: 0.5), source: "TODO")
}
