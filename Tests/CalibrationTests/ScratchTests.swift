import Foundation
import Testing
import PlanCore
import Analytic
@testable import Calibration

@Test func scratchCollectives() throws {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/shared/calibration-data/"
  let set = try MeasurementReader().read(paths: [root + "h100_dgx_all_reduce.csv", root + "h100_dgx_send_recv.csv"])
  // 2 nodes x 8 GPUs, NVSwitch 450 GB/s per GPU, IB 400 Gbit/s per GPU
  var names: [String] = []
  var nodeOf: [Int] = []
  for n in 0..<2 { for g in 0..<8 { names.append("node\(n)/gpu\(g)"); nodeOf.append(n) } }
  names += ["node0/nvswitch", "node1/nvswitch", "ib"]
  var links: [Cluster.Link] = []
  for g in 0..<16 {
    links.append(Cluster.Link(a: g, b: 16 + g / 8, bytesPerSecond: 450e9, latencySeconds: 1e-6))
    links.append(Cluster.Link(a: g, b: 18, bytesPerSecond: 50e9, latencySeconds: 2.5e-6))
  }
  let cluster = Cluster(name: "h100x2", vertexNames: names, gpuCount: 16, nodeOfGPU: nodeOf, nodeNames: ["node0", "node1"], links: links)
  let profile = EfficiencyProfile(computeMax: 0.75, computeHalfSaturationFLOPs: 9.894e9, memoryMax: 0.85, memoryHalfSaturationBytes: 6.7e6, kernelLaunchSeconds: 4e-6, collectiveBandwidthMax: 0.8, collectiveHalfSaturationBytes: 3.6e6, collectiveStepSeconds: 5e-6, iterationOverheadSeconds: 1e-3, source: "x")
  let timing = CollectiveTiming(cluster: cluster)
  let before = AccuracyReport.evaluate(gpu: GPUSpec(name: "h", displayName: "h", peakFLOPSPerSecond: [.fp16: 989.4e12], memoryBytes: 80e9, memoryBandwidthBytesPerSecond: 3.35e12, efficiency: profile, source: ""), measurements: set, operatorTiming: OperatorTiming { _, _ in 1 }, collectiveTiming: timing)
  for row in before.rows { print("before", row.name, row.statistics.medianAbsoluteRelativeError, row.statistics.p90AbsoluteRelativeError) }
  let halves = set.interleavedHalves()
  let fit = try CollectiveCalibration(timing: timing, prior: profile).run(halves.fit.collectives)
  print(fit.law, fit.law.bandwidthMax, fit.law.halfSaturationBytes, fit.fitted, fit.rounds, fit.refusal ?? "ok")
  var p2 = fit.law.applied(to: profile)
  p2.source = "fit"
  let after = AccuracyReport.evaluate(gpu: GPUSpec(name: "h", displayName: "h", peakFLOPSPerSecond: [.fp16: 989.4e12], memoryBytes: 80e9, memoryBandwidthBytesPerSecond: 3.35e12, efficiency: p2, source: ""), measurements: halves.holdout, operatorTiming: OperatorTiming { _, _ in 1 }, collectiveTiming: timing)
  for row in after.rows { print("after", row.name, row.statistics.medianAbsoluteRelativeError, row.statistics.p90AbsoluteRelativeError, row.statistics.medianRelativeError) }
}
