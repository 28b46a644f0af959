/// One transfer between two members of a communicator, in units of some chunk of the message.
struct FlowTransfer: Sendable, Hashable {
  /// Positions in the group (not cluster GPU indices).
  var from: Int
  var to: Int
  /// Bytes moved, in units of the chunk the caller scales by.
  var weight: Double
}

/// What bounds a set of transfers that run at the same time.
struct FlowBottleneck: Sendable {
  /// Seconds per unit of weight: the busiest link direction's load over its bandwidth.
  var secondsPerUnit: Double
  /// Edge of the network that bounds it, and the direction (true = a → b); -1 when nothing
  /// moves.
  var edge: Int
  var forward: Bool
  /// Load of that link direction (both directions for a half-duplex link), units of weight.
  var load: Double
  /// Largest path latency among the transfers, seconds: for an electrical flow the
  /// flow-weighted mean path latency `Σ_e |f_e| ℓ_e` of a unit demand (exact for the path
  /// decomposition of an acyclic flow, which electrical flows are).
  var latencySeconds: Double
  var routing: FlowRouting
}

extension FlowNetwork {
  /// Loads every link with `transfers` routed by `routing`, each direction of a full-duplex
  /// link on its own and both directions of a half-duplex link together, and returns the
  /// busiest link: it bounds the time of the step (`load / bandwidth`).
  func bottleneck(of transfers: [FlowTransfer], routing: FlowRouting) -> FlowBottleneck {
    let count = edges.count
    var forward = [Double](repeating: 0, count: count)
    var backward = [Double](repeating: 0, count: count)
    var latency = 0.0
    for transfer in transfers where transfer.weight > 0 && transfer.from != transfer.to {
      switch routing {
      case .electrical:
        let domain = domains[domainIndex(transfer.from, transfer.to)]
        let fk = domain.memberFlow[transfer.from]
        let fl = domain.memberFlow[transfer.to]
        var pathLatency = 0.0
        for e in 0..<count {
          let unit = fk[e] - fl[e]
          pathLatency += abs(unit) * edges[e].latencySeconds
          let flow = unit * transfer.weight
          if flow > 0 { forward[e] += flow } else { backward[e] -= flow }
        }
        latency = max(latency, pathLatency)
      case .singlePath:
        let weight = transfer.weight
        forEachWidestPathEdge(from: transfer.from, to: transfer.to) { edge, isForward in
          if isForward { forward[edge] += weight } else { backward[edge] += weight }
        }
        let tree = domains[domainIndex(transfer.from, transfer.to)].widest[transfer.from]
        latency = max(latency, tree.latencySeconds[memberVertex[transfer.to]])
      }
    }
    var result = FlowBottleneck(
      secondsPerUnit: 0, edge: -1, forward: true, load: 0, latencySeconds: latency, routing: routing)
    for e in 0..<count {
      let edge = edges[e]
      let load: Double
      let isForward = forward[e] >= backward[e]
      if edge.halfDuplex {
        load = forward[e] + backward[e]
      } else {
        load = max(forward[e], backward[e])
      }
      let seconds = load / edge.bytesPerSecond
      if seconds > result.secondsPerUnit {
        result.secondsPerUnit = seconds
        result.edge = e
        result.forward = isForward
        result.load = load
      }
    }
    return result
  }
}
