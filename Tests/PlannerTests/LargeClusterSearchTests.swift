import Analytic
import Foundation
import PlanCore
import Testing

@testable import Planner

/// The search on large clusters: placement in O(GPUs · log nodes) with the same greedy choices,
/// and a coarse (TP, PP, DP) grid past `LayoutSearch.exhaustiveLayoutLimit`.
@Suite struct LargeClusterSearchTests {
  /// The placement rule as first written: every replica scans every node (O(DP · nodes)).
  /// The bucketed `TopologyPlacement.place` must make the same choices.
  static func scanningPlacement(_ layout: Layout, on cluster: Cluster) -> [[[Int]]] {
    var free = [[Int]](repeating: [], count: max(cluster.nodeCount, 1))
    for gpu in 0..<cluster.gpuCount { free[cluster.nodeOfGPU[gpu]].append(gpu) }
    func take(_ count: Int, from node: Int) -> [Int] {
      let chosen = Array(free[node].prefix(count))
      free[node].removeFirst(chosen.count)
      return chosen
    }
    var gpus: [[[Int]]] = []
    for _ in 0..<layout.dp {
      let need = layout.gpusPerReplica
      var stages: [[Int]] = []
      let fitting = free.indices.filter { free[$0].count >= need }
      if let node = fitting.min(by: { (free[$0].count, $0) < (free[$1].count, $1) }) {
        let block = take(need, from: node)
        for stage in 0..<layout.pp { stages.append(Array(block[(stage * layout.tp)..<((stage + 1) * layout.tp)])) }
      } else {
        var previous: Int?
        for _ in 0..<layout.pp {
          if let node = previous, free[node].count >= layout.tp {
            stages.append(take(layout.tp, from: node))
            continue
          }
          let holding = free.indices.filter { free[$0].count >= layout.tp }
          if let node = holding.min(by: { (-free[$0].count, $0) < (-free[$1].count, $1) }) {
            stages.append(take(layout.tp, from: node))
            previous = node
          } else {
            var group: [Int] = []
            while group.count < layout.tp {
              let node = free.indices.min(by: { (-free[$0].count, $0) < (-free[$1].count, $1) })!
              group += take(layout.tp - group.count, from: node)
            }
            stages.append(group)
            previous = nil
          }
        }
      }
      gpus.append(stages)
    }
    return gpus
  }

  /// Nodes of uneven sizes (8, 4, 6, 2, 8, 3 GPUs), GPUs interleaved between two nodes, so
  /// best fit, most-free and spanning TP groups all occur.
  static func unevenCluster() -> Cluster {
    let sizes = [8, 4, 6, 2, 8, 3]
    var nodeOfGPU: [Int] = []
    for (node, size) in sizes.enumerated() { nodeOfGPU += [Int](repeating: node, count: size) }
    // Swap two GPUs' nodes so a node's GPUs are not one index range.
    nodeOfGPU.swapAt(1, 9)
    let gpus = nodeOfGPU.count
    return Cluster(
      name: "uneven", vertexNames: (0..<gpus).map { "gpu\($0)" } + ["switch"], gpuCount: gpus, nodeOfGPU: nodeOfGPU,
      nodeNames: sizes.indices.map { "node\($0)" },
      links: (0..<gpus).map { Cluster.Link(a: $0, b: gpus, bytesPerSecond: 1e9, latencySeconds: 1e-6) })
  }

  @Test func bucketedPlacementMakesTheScanningGreedysChoices() throws {
    let uneven = Self.unevenCluster()
    let dgx = try Fixtures.catalog.cluster("dgx-a100-2node-ib")
    for cluster in [uneven, dgx] {
      let index = PlacementIndex(cluster)
      for tp in [1, 2, 3, 4, 5, 8] {
        for pp in 1...6 {
          for dp in 1...max(1, cluster.gpuCount / (tp * pp)) where tp * pp * dp <= cluster.gpuCount {
            let layout = Layout(tp: tp, pp: pp, dp: dp)
            let expected = Self.scanningPlacement(layout, on: cluster)
            #expect(try TopologyPlacement.place(layout, on: cluster).placement.gpus == expected, "\(layout)")
            #expect(
              try TopologyPlacement.place(layout, on: cluster, index: index).placement.gpus == expected, "\(layout)")
          }
        }
      }
    }
  }

  @Test func coarseDegreesGrowByAtMostAQuarter() {
    for maximum in [1, 7, 16, 17, 100, 4096, 100_000] {
      let degrees = LayoutSearch.coarseDegrees(upTo: maximum)
      #expect(Array(degrees.prefix(16)) == Array(1...min(16, maximum)))
      #expect(degrees.last == maximum)
      for (a, b) in zip(degrees, degrees.dropFirst()) {
        #expect(b > a)
        // ⌈1.25 a⌉ at most (the last step may be shorter).
        #expect(b <= (5 * a + 3) / 4, "\(a) → \(b)")
      }
    }
    // log(100000 / 16) / log(1.25) ≈ 39 steps past the first 16.
    #expect(LayoutSearch.coarseDegrees(upTo: 100_000).count <= 16 + 40)
  }

  @Test func smallBudgetsAreSearchedExhaustively() throws {
    let model = try Fixtures.catalog.model("llama-2-7b")
    let cluster = Cluster.idealNodes(gpu: try Fixtures.catalog.gpu("a100-80gb-sxm"), gpuCount: 64)
    let layouts = try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 64)
    // TP ∈ {1, 2, 4, 8} (32 heads, 11008 MLP), PP ≤ 32 layers: Σ ⌊64 / (TP·PP)⌋ layouts.
    var expected = 0
    for tp in [1, 2, 4, 8] { for pp in 1...min(32, 64 / tp) { expected += 64 / (tp * pp) } }
    #expect(expected <= LayoutSearch.exhaustiveLayoutLimit)
    #expect(layouts.count == expected)
  }

  @Test func largeBudgetsAreSearchedOnTheCoarseGrid() throws {
    let model = try Fixtures.catalog.model("llama-2-70b")
    let cluster = Cluster.idealNodes(gpu: try Fixtures.catalog.gpu("h100-80gb-sxm"), gpuCount: 4096)
    let layouts = try LayoutSearch.candidates(model: model, cluster: cluster, gpuBudget: 4096)
    let set = Set(layouts)
    #expect(set.count == layouts.count)
    // Bounded by TP degrees × PP grid × DP grid, far below the ~36,000 exhaustive layouts.
    #expect(layouts.count <= 4 * 25 * 45)
    for layout in layouts { #expect(layout.totalGPUs <= 4096) }
    // Every small layout is still there, and each (TP, PP) keeps its largest DP.
    for tp in [1, 2, 4, 8] {
      for pp in 1...16 {
        for dp in 1...16 { #expect(set.contains(Layout(tp: tp, pp: pp, dp: dp))) }
        #expect(set.contains(Layout(tp: tp, pp: pp, dp: 4096 / (tp * pp))))
      }
    }
  }
}
