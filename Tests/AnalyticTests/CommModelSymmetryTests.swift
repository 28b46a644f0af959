import Testing

@testable import Analytic
@testable import PlanCore

/// The canonical-shape memo must return exactly what costing each group on its own returns.
@Suite struct CommModelSymmetryTests {
  /// Four identical 8-GPU NVSwitch nodes joined by per-GPU NICs to one IB switch: relabelling
  /// nodes is an automorphism, so a group's cost depends only on its shape.
  @Test func groupsOfTheSameShapeOnDifferentNodesCostTheSame() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 32)
    let shared = CommModel(cluster: cluster, efficiency: Fixtures.a100_80gb.efficiency)
    #expect(shared.symmetry != nil)
    let groups: [[Int]] = [[0, 1, 2, 3], [24, 25, 26, 27], [8, 9, 16, 17], [30, 31, 4, 5]]
    for collective in [Collective.allReduce, .allGather] {
      for group in groups {
        // Warm the memo with the first group of each shape, then compare with a fresh model.
        _ = try shared.envelope(collective, gpus: groups[0])
        let viaMemo = try shared.envelope(collective, gpus: group)
        let fresh = try CommModel(cluster: cluster, efficiency: Fixtures.a100_80gb.efficiency)
          .algorithms(collective, gpus: group).map(\.curve)
        #expect(viaMemo.curves == fresh)
      }
    }
  }

  /// Canonical forms: the same shape on other nodes maps to the same key; a different shape
  /// (two GPUs on each of two nodes vs four on one) does not.
  @Test func canonicalFormsSeparateShapes() throws {
    let cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 32)
    let symmetry = try #require(CommModel(cluster: cluster, efficiency: Fixtures.a100_80gb.efficiency).symmetry)
    #expect(symmetry.canonical([0, 1, 2, 3]) == symmetry.canonical([24, 25, 26, 27]))
    #expect(symmetry.canonical([8, 9, 16, 17]) == symmetry.canonical([24, 25, 0, 1]))
    #expect(symmetry.canonical([0, 1, 2, 3]) != symmetry.canonical([0, 1, 8, 9]))
  }

  /// A cluster whose nodes differ (one node's links are slower) has no symmetry.
  @Test func asymmetricClusterHasNoCanonicalForm() throws {
    var cluster = Cluster.idealNodes(gpu: Fixtures.a100_80gb, gpuCount: 16)
    let index = try #require(cluster.links.firstIndex { $0.a == 9 || $0.b == 9 })
    cluster.links[index].bytesPerSecond /= 2
    #expect(CommModel(cluster: cluster, efficiency: Fixtures.a100_80gb.efficiency).symmetry == nil)
    // A single node has nothing to relabel.
    #expect(CommModel(cluster: Fixtures.nvswitch8, efficiency: Fixtures.a100_80gb.efficiency).symmetry == nil)
  }
}
