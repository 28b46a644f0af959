/// The two complementary binary trees of NCCL's double-binary-tree all-reduce, over `count`
/// ranks given by their position in an order (usually the ring order).
///
/// Sanders, Speck and Träff, "Two-tree algorithms for full bandwidth broadcast, reduction and
/// scan", Parallel Computing 35 (2009): split the message in two halves and run each half on
/// its own binary tree, built so that a rank that is a leaf in one tree is an inner node of the
/// other; every rank then sends and receives about the full message once per phase. NCCL 2.4
/// adopted it ("Massively Scale Your Deep Learning Training with NCCL 2.4", NVIDIA blog, 2019).
///
/// Tree A is the in-order binary tree on positions 1…n: position p with lowest set bit b has
/// children p ± b/2 and its parent is the nearest ancestor `(p ^ b) | 2b` that exists; the root
/// is the largest power of two ≤ n. Tree B is tree A with positions mirrored (n even) or
/// shifted by one (n odd), which turns A's leaves (odd positions) into B's inner nodes.
struct DoubleBinaryTree: Sendable, Hashable {
  /// `parents[t][i]`: parent of rank i in tree t (nil for the root).
  let parents: [[Int?]]
  /// Edges (parent-to-root count) of the deeper tree: the levels a chunk climbs.
  let depth: Int

  init(count n: Int) {
    precondition(n >= 1)
    // Parent of position p (1-based) in the in-order tree on 1…n.
    func parentPosition(_ p: Int) -> Int? {
      var q = p
      while true {
        let bit = q & -q
        if bit << 1 > n && q & (q - 1) == 0 { return nil }  // the root: largest power of two ≤ n
        let up = (q ^ bit) | (bit << 1)
        if up <= n { return up }
        q = up
      }
    }
    let treeA: [Int?] = (0..<n).map { i in parentPosition(i + 1).map { $0 - 1 } }
    // Position of rank i in tree B, and its inverse.
    let position: (Int) -> Int = n % 2 == 0 ? { n - 1 - $0 } : { ($0 + 1) % n }
    var rankAt = [Int](repeating: 0, count: n)
    for i in 0..<n { rankAt[position(i)] = i }
    let treeB: [Int?] = (0..<n).map { i in treeA[position(i)].map { rankAt[$0] } }
    parents = [treeA, treeB]
    depth =
      parents.map { tree in
        (0..<n).map { i -> Int in
          var levels = 0
          var j = i
          while let up = tree[j] {
            levels += 1
            j = up
          }
          return levels
        }.max() ?? 0
      }.max() ?? 0
  }
}

/// NCCL's all-reduce trees for a group spread over nodes: inside each node the GPUs form a
/// chain, and the nodes are joined by a double binary tree (NCCL 2.4 blog; NCCL's tuning
/// model charges a tree all-reduce `2 · ((GPUs per node − 1) · intra-node latency +
/// log2(nodes) · inter-node latency)`). Tree A enters each node at the first GPU of its chain,
/// tree B at the last (the chain reversed), so both directions of every chain link are used.
struct CollectiveTrees: Sendable, Hashable {
  /// `parents[t][k]`: parent of group position k in tree t (nil for the root).
  let parents: [[Int?]]
  /// Hops inside the longest chain, and levels of the inter-node tree.
  let chainHops: Int
  let interNodeLevels: Int

  /// `order`: group positions in ring order; `node[k]`: node of position k.
  init(order: [Int], node: [Int]) {
    var chains: [[Int]] = []
    var chainOfNode: [Int: Int] = [:]
    for position in order {
      if let index = chainOfNode[node[position]] {
        chains[index].append(position)
      } else {
        chainOfNode[node[position]] = chains.count
        chains.append([position])
      }
    }
    let across = DoubleBinaryTree(count: chains.count)
    var parents = [[Int?]](repeating: [Int?](repeating: nil, count: node.count), count: 2)
    for t in 0..<2 {
      let oriented = chains.map { t == 0 ? $0 : Array($0.reversed()) }
      for (c, chain) in oriented.enumerated() {
        for j in 1..<max(chain.count, 1) { parents[t][chain[j]] = chain[j - 1] }
        if let up = across.parents[t][c] { parents[t][chain[0]] = oriented[up][0] }
      }
    }
    self.parents = parents
    chainHops = (chains.map(\.count).max() ?? 1) - 1
    interNodeLevels = across.depth
  }
}
