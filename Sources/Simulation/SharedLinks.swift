import PlanCore

/// Which network links the pipeline activation transfers of different stage boundaries share,
/// found from the cluster topology and the placement.
///
/// Each transfer from stage s to s + 1 of a replica sends, from every tensor rank of stage s,
/// to the same rank of stage s + 1; each such pair is routed on one fewest-hop path (breadth
/// first, links in file order). A link direction (or a half-duplex link) crossed by the
/// transfers of two or more stage boundaries is *shared*; the others are private and the
/// transfer keeps the time `IterationTiming.transferSeconds` gives it.
///
/// While transfers overlap on shared links, each progresses at rate min over its shared links
/// of 1 / (transfers active on that link): the bandwidth is split equally (processor sharing).
/// This treats the whole transfer time as bandwidth-bound (the latency part is stretched too),
/// and uses the bottleneck share rather than a full max-min fair allocation; both overestimate
/// the slow-down slightly. Tensor-parallel collectives inside a stage's time are not contended.
public struct SharedLinks: Sendable, Hashable {
  /// `resources[replica][boundary]`: ids of the shared link directions that boundary crosses.
  public let resources: [[[Int32]]]
  /// Number of distinct shared link directions.
  public let sharedCount: Int
  /// Human-readable names of the shared links, e.g. "node0/switch–node1/switch (a→b)".
  public let sharedNames: [String]

  /// No contention: every transfer keeps its own time.
  public static func none(replicas: Int, stages: Int) -> SharedLinks {
    SharedLinks(
      resources: Array(repeating: Array(repeating: [], count: max(stages - 1, 0)), count: replicas),
      sharedCount: 0, sharedNames: [])
  }

  init(resources: [[[Int32]]], sharedCount: Int, sharedNames: [String]) {
    self.resources = resources
    self.sharedCount = sharedCount
    self.sharedNames = sharedNames
  }

  public var isEmpty: Bool { sharedCount == 0 }

  /// Finds the shared links of `placement` on `cluster`.
  public init(cluster: Cluster, placement: Placement) throws {
    let adjacency = cluster.adjacency
    // Raw resource id: link index × 2 + direction (0: a→b, 1: b→a); half duplex: always 0.
    func path(from source: Int, to target: Int) throws -> [Int] {
      try fewestHopPath(cluster, adjacency: adjacency, from: source, to: target)
    }

    var raw: [[[Int]]] = []
    var users: [Int: Int] = [:]
    for (replica, stages) in placement.gpus.enumerated() {
      var perBoundary: [[Int]] = []
      for boundary in 0..<max(stages.count - 1, 0) {
        let senders = stages[boundary]
        let receivers = stages[boundary + 1]
        guard senders.count == receivers.count else {
          throw SimulationError.invalidConfiguration(
            "placement of replica \(replica): stages \(boundary) and \(boundary + 1) have different TP sizes")
        }
        var crossed = Set<Int>()
        for (from, to) in zip(senders, receivers) {
          guard from >= 0, from < cluster.gpuCount, to >= 0, to < cluster.gpuCount else {
            throw SimulationError.invalidConfiguration("placement uses GPU outside cluster \(cluster.name)")
          }
          crossed.formUnion(try path(from: from, to: to))
        }
        let sorted = crossed.sorted()
        for resource in sorted { users[resource, default: 0] += 1 }
        perBoundary.append(sorted)
      }
      raw.append(perBoundary)
    }
    let shared = users.filter { $0.value >= 2 }.keys.sorted()
    var compact: [Int: Int32] = [:]
    for (index, resource) in shared.enumerated() { compact[resource] = Int32(index) }
    resources = raw.map { $0.map { $0.compactMap { compact[$0] } } }
    sharedCount = shared.count
    sharedNames = shared.map { linkDirectionName(cluster, resource: $0) }
  }
}

/// Processor-sharing state of the transfers active on shared links (tiny: at most one
/// transfer per stage boundary of every replica).
struct ContentionState {
  struct Transfer {
    var replica: Int32
    var slot: Int32
    var boundary: Int32
    /// Seconds of transfer left at full speed.
    var remaining: Double
    var rate: Double
  }

  var transfers: ContiguousArray<Transfer> = []
  var users: [Int32]
  var lastUpdate = 0.0
  /// Bumped on every change; a check event carrying an older version is stale.
  var version: UInt64 = 0

  init(sharedCount: Int, capacity: Int) {
    users = Array(repeating: 0, count: sharedCount)
    transfers.reserveCapacity(capacity)
  }

  /// Moves every active transfer forward to `now` at its current rate.
  mutating func advance(to now: Double) {
    let elapsed = now - lastUpdate
    if elapsed > 0 {
      for index in transfers.indices { transfers[index].remaining -= elapsed * transfers[index].rate }
    }
    lastUpdate = now
  }

  mutating func recomputeRates(_ links: SharedLinks) {
    for index in transfers.indices {
      let transfer = transfers[index]
      var sharers: Int32 = 1
      for resource in links.resources[Int(transfer.replica)][Int(transfer.boundary)] {
        sharers = max(sharers, users[Int(resource)])
      }
      transfers[index].rate = 1 / Double(sharers)
    }
  }

  /// Moves the transfers forward to `now`, takes those within a nanosecond of done (rounding of
  /// rate × time) off their links into `finished`, and shares the links anew among the rest.
  /// `finished` is the caller's scratch array (kept allocated between calls).
  mutating func completeTransfers(at now: Double, links: SharedLinks, into finished: inout ContiguousArray<Transfer>) {
    advance(to: now)
    var index = 0
    while index < transfers.count {
      let transfer = transfers[index]
      if transfer.remaining <= 1e-9 {
        for resource in links.resources[Int(transfer.replica)][Int(transfer.boundary)] {
          users[Int(resource)] -= 1
        }
        finished.append(transfer)
        transfers.remove(at: index)
      } else {
        index += 1
      }
    }
    recomputeRates(links)
  }

  /// Earliest completion among the active transfers, if any.
  func nextCompletion() -> Double? {
    var best: Double?
    for transfer in transfers {
      let finish = lastUpdate + max(transfer.remaining, 0) / transfer.rate
      if best == nil || finish < best! { best = finish }
    }
    return best
  }
}
