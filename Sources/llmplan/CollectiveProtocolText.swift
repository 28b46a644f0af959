import Calibration
import PlanCore

/// The text `calibrate` prints for a fit of the collective protocol laws.
enum CollectiveProtocolText {
  static func lines(_ fit: CollectiveProtocolFit) -> [String] {
    var lines = [
      "Collective protocols (\(fit.ncclPoints) NCCL all-reduce and send/recv and \(fit.customPoints) custom all-reduce points, \(fit.rounds) iterations):"
    ]
    for law in fit.protocols.protocols {
      lines.append(
        "  \(law.name.padding(toLength: 6, withPad: " ", startingAt: 0)) launch \(Units.formatSeconds(law.launchSeconds)), "
          + "step \(Units.formatSeconds(law.stepSeconds)), bandwidth fraction \(String(format: "%.3f", law.bandwidthFraction)), "
          + "ramp \(Units.formatBytes(law.rampBytes))")
    }
    if !fit.protocols.groupBandwidthFactors.isEmpty {
      let text = fit.protocols.groupBandwidthFactors.keys.sorted().map {
        "\(Int($0) == nil ? $0 : "\($0) GPUs") \(String(format: "%.3f", fit.protocols.groupBandwidthFactors[$0]!))"
      }
      lines.append("  group bandwidth factors: " + text.joined(separator: ", "))
    }
    if let custom = fit.protocols.customAllReduce, fit.customPoints > 0 {
      lines.append(
        "  custom all-reduce: one-shot \(Units.formatSeconds(custom.oneShotLaunchSeconds)) + "
          + String(format: "%.3f", custom.oneShotBandwidthFraction)
          + " of NVLink (ramp \(Units.formatBytes(custom.oneShotRampBytes))), "
          + "two-shot \(Units.formatSeconds(custom.twoShotLaunchSeconds)) + "
          + String(format: "%.3f", custom.twoShotBandwidthFraction)
          + " (ramp \(Units.formatBytes(custom.twoShotRampBytes))), "
          + "eager +\(Units.formatSeconds(custom.eagerSeconds)) and copy at \(Units.formatBytesPerSecond(custom.eagerCopyBytesPerSecond))"
      )
    }
    return lines
  }
}
