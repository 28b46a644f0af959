import PlanCore

/// How long the KV cache of a request takes to go from a prefill instance to a decode
/// instance, and which network links that transfer shares with others.
///
/// Per (prefill instance i, decode instance j): seconds = `latencySeconds` + bytes ÷
/// `bytesPerSecond`. While transfers overlap on contended links (`Path.links`), each progresses
/// at 1 ÷ (the largest number of transfers active on any of its links) of its full speed
/// (processor sharing, as for pipeline activations in `SharedLinks`); the latency part is
/// stretched too, a slight overestimate.
///
/// Built from a cluster and the two pools' placements (`init(cluster:prefillPlacement:decodePlacement:)`),
/// or given directly (`uniform`, `init(paths:linkNames:)`) for tests and idealised links.
public struct KVTransferRoute: Sendable, Hashable {
  public struct Path: Sendable, Hashable {
    /// Fixed cost of one transfer, seconds (path latency).
    public var latencySeconds: Double
    /// Rate one transfer reaches alone, bytes per second (may be `.infinity`: instant).
    public var bytesPerSecond: Double
    /// Contended link directions this transfer crosses (indices into `linkNames`).
    public var links: [Int32]

    public init(latencySeconds: Double, bytesPerSecond: Double, links: [Int32] = []) {
      self.latencySeconds = latencySeconds
      self.bytesPerSecond = bytesPerSecond
      self.links = links
    }
  }

  public let prefillInstances: Int
  public let decodeInstances: Int
  /// `paths[i * decodeInstances + j]`: prefill instance i → decode instance j.
  public let paths: [Path]
  /// Names of the contended link directions, e.g. "node0/nic→ib-switch".
  public let linkNames: [String]

  /// Every pair joined by its own link of the same latency and bandwidth (no contention).
  public static func uniform(
    prefillInstances: Int, decodeInstances: Int, latencySeconds: Double, bytesPerSecond: Double
  ) throws -> KVTransferRoute {
    let path = Path(latencySeconds: latencySeconds, bytesPerSecond: bytesPerSecond)
    return try KVTransferRoute(
      paths: Array(repeating: Array(repeating: path, count: decodeInstances), count: prefillInstances),
      linkNames: [])
  }

  /// `paths[i][j]`: prefill instance i → decode instance j. Throws on an empty or ragged
  /// table, a latency that is not finite and ≥ 0, a bandwidth that is not > 0 (∞ allowed), or
  /// a link id outside `linkNames`.
  public init(paths: [[Path]], linkNames: [String]) throws {
    guard let first = paths.first, !first.isEmpty, paths.allSatisfy({ $0.count == first.count }) else {
      throw SimulationError.invalidConfiguration(
        "KV transfer route: the path table must have one row per prefill instance and one column per decode instance, all rows the same length"
      )
    }
    for (i, row) in paths.enumerated() {
      for (j, path) in row.enumerated() {
        guard path.latencySeconds.isFinite, path.latencySeconds >= 0 else {
          throw SimulationError.invalidConfiguration(
            "KV transfer route P\(i)→D\(j): latency \(path.latencySeconds) s (allowed: finite, ≥ 0)")
        }
        guard !path.bytesPerSecond.isNaN, path.bytesPerSecond > 0 else {
          throw SimulationError.invalidConfiguration(
            "KV transfer route P\(i)→D\(j): bandwidth \(path.bytesPerSecond) B/s (allowed: > 0, ∞ for instant)")
        }
        for link in path.links where link < 0 || Int(link) >= linkNames.count {
          throw SimulationError.invalidConfiguration(
            "KV transfer route P\(i)→D\(j): link id \(link) outside 0..<\(linkNames.count)")
        }
      }
    }
    prefillInstances = paths.count
    decodeInstances = first.count
    self.paths = paths.flatMap { $0 }
    self.linkNames = linkNames
  }

  @inline(__always)
  public func path(from prefill: Int, to decode: Int) -> Path { paths[prefill * decodeInstances + decode] }

  /// Seconds to send `bytes` from prefill instance `prefill` to decode instance `decode` alone.
  public func seconds(bytes: Double, from prefill: Int, to decode: Int) -> Double {
    let path = path(from: prefill, to: decode)
    return path.latencySeconds + (bytes > 0 ? bytes / path.bytesPerSecond : 0)
  }

  /// Routes of the two pools' placements on `cluster`.
  ///
  /// A request's KV is held by every GPU of its prefill instance (layers split over stages,
  /// heads over TP ranks) and ends on every GPU of its decode instance; the transfer is
  /// modelled as max(senders, receivers) flows, flow k from sender k mod senders to receiver
  /// k mod receivers, each carrying an equal share of the bytes on one fewest-hop path
  /// (breadth first, links in file order, as `SharedLinks`). The pair's bandwidth is set by the
  /// busiest link direction: bytes per second = 1 ÷ max over links of (share of the bytes
  /// crossing it ÷ its bandwidth); its latency is the slowest flow's sum of link latencies.
  /// Every link direction a flow crosses is a contended link of the route (transfers of two
  /// requests, even between the same pair, share it). A flow between two GPUs of one
  /// instance pair that are the same GPU costs nothing (the pools are disjoint in practice).
  public init(cluster: Cluster, prefillPlacement: Placement, decodePlacement: Placement) throws {
    let adjacency = cluster.adjacency
    func gpus(of placement: Placement, instance: Int, pool: String) throws -> [Int] {
      let list = placement.gpus[instance].flatMap { $0 }
      guard !list.isEmpty else {
        throw SimulationError.invalidConfiguration("KV transfer route: \(pool) instance \(instance) has no GPUs")
      }
      for gpu in list where gpu < 0 || gpu >= cluster.gpuCount {
        throw SimulationError.invalidConfiguration(
          "KV transfer route: \(pool) instance \(instance) uses GPU \(gpu), outside cluster \(cluster.name) (0..<\(cluster.gpuCount))"
        )
      }
      return list
    }
    guard !prefillPlacement.gpus.isEmpty, !decodePlacement.gpus.isEmpty else {
      throw SimulationError.invalidConfiguration("KV transfer route: a pool has no instances")
    }
    var table: [[Path]] = []
    var ids: [Int: Int32] = [:]
    var names: [String] = []
    for i in prefillPlacement.gpus.indices {
      let senders = try gpus(of: prefillPlacement, instance: i, pool: "prefill")
      var row: [Path] = []
      for j in decodePlacement.gpus.indices {
        let receivers = try gpus(of: decodePlacement, instance: j, pool: "decode")
        let flows = max(senders.count, receivers.count)
        var crossings: [Int: Int] = [:]
        var latency = 0.0
        for k in 0..<flows {
          let hops = try fewestHopPath(
            cluster, adjacency: adjacency, from: senders[k % senders.count], to: receivers[k % receivers.count])
          var flowLatency = 0.0
          for resource in hops {
            crossings[resource, default: 0] += 1
            flowLatency += cluster.links[resource / 2].latencySeconds
          }
          latency = max(latency, flowLatency)
        }
        var secondsPerByte = 0.0
        for (resource, count) in crossings {
          secondsPerByte = max(
            secondsPerByte, Double(count) / Double(flows) / cluster.links[resource / 2].bytesPerSecond)
        }
        var links: [Int32] = []
        for resource in crossings.keys.sorted() {
          if let id = ids[resource] {
            links.append(id)
          } else {
            let id = Int32(names.count)
            ids[resource] = id
            names.append(linkDirectionName(cluster, resource: resource))
            links.append(id)
          }
        }
        row.append(
          Path(
            latencySeconds: latency, bytesPerSecond: secondsPerByte > 0 ? 1 / secondsPerByte : .infinity,
            links: links))
      }
      table.append(row)
    }
    try self.init(paths: table, linkNames: names)
  }
}

/// Name of a raw link-direction resource (link index × 2 + direction).
func linkDirectionName(_ cluster: Cluster, resource: Int) -> String {
  let link = cluster.links[resource / 2]
  let (a, b) = (cluster.vertexNames[link.a], cluster.vertexNames[link.b])
  if link.duplex == .half { return "\(a)–\(b) (half duplex)" }
  return resource % 2 == 0 ? "\(a)→\(b)" : "\(b)→\(a)"
}

/// The link directions (link index × 2 + direction; a half-duplex link is always direction
/// 0) of one fewest-hop path from vertex `source` to `target`, breadth first over links in
/// file order. Throws when no path exists.
func fewestHopPath(_ cluster: Cluster, adjacency: [[Int]], from source: Int, to target: Int) throws -> [Int] {
  if source == target { return [] }
  var previousLink = [Int](repeating: -1, count: cluster.vertexCount)
  var visited = [Bool](repeating: false, count: cluster.vertexCount)
  var queue = [source]
  visited[source] = true
  var head = 0
  while head < queue.count {
    let vertex = queue[head]
    head += 1
    if vertex == target { break }
    for linkIndex in adjacency[vertex] {
      let link = cluster.links[linkIndex]
      let other = link.a == vertex ? link.b : link.a
      if !visited[other] {
        visited[other] = true
        previousLink[other] = linkIndex
        queue.append(other)
      }
    }
  }
  guard visited[target] else {
    throw SimulationError.invalidConfiguration(
      "no network path from \(cluster.vertexNames[source]) to \(cluster.vertexNames[target]) in cluster \(cluster.name)"
    )
  }
  var resources: [Int] = []
  var vertex = target
  while vertex != source {
    let linkIndex = previousLink[vertex]
    let link = cluster.links[linkIndex]
    let from = link.a == vertex ? link.b : link.a
    let direction = (link.duplex == .half || from == link.a) ? 0 : 1
    resources.append(linkIndex * 2 + direction)
    vertex = from
  }
  return resources
}
