import ArgumentParser
import PlanCore

/// `llmplan clusters`: the catalog's clusters with their size and bisection bandwidth.
struct ClustersCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clusters",
    abstract: "List clusters: GPUs, nodes, links, switches and bisection bandwidth.")

  @OptionGroup var listing: ListingOptions

  func run() throws {
    try withUserFacingErrors { print(try render()) }
  }

  /// The text this command prints.
  func render() throws -> String {
    try listing.render(.cluster, load: { try $0.cluster($1) }, facts: ClusterFacts.init, table: ClusterFacts.table)
  }
}

/// One cluster as listed by `llmplan clusters`.
struct ClusterFacts: Encodable, Equatable {
  struct Node: Encodable, Equatable {
    var name: String
    var gpus: Int
  }

  struct Link: Encodable, Equatable {
    var from: String
    var to: String
    /// Per direction.
    var bytesPerSecond: Double
    var latencySeconds: Double
    var duplex: String
    var kind: String
  }

  var name: String
  var displayName: String
  var description: String?
  var gpu: String?
  var gpuCount: Int
  var nodeCount: Int
  var nodes: [Node]
  var switchCount: Int
  var linkCount: Int
  var links: [Link]
  /// Narrowest balanced cut, bytes/s per direction (absent with one GPU).
  var bisectionBytesPerSecond: Double?
  /// False when only node-aligned splits were tried (then the value is an upper bound).
  var bisectionExhaustive: Bool?
  /// GPUs on one side of that cut.
  var bisectionHalf: [String]?

  init(_ cluster: Cluster) {
    name = cluster.name
    displayName = cluster.displayName
    description = cluster.summary
    gpu = cluster.defaultGPU
    gpuCount = cluster.gpuCount
    nodeCount = cluster.nodeCount
    nodes = zip(cluster.nodeNames, cluster.gpusPerNode).map { Node(name: $0, gpus: $1) }
    switchCount = cluster.vertexCount - cluster.gpuCount
    linkCount = cluster.links.count
    links = cluster.links.map {
      Link(
        from: cluster.vertexNames[$0.a], to: cluster.vertexNames[$0.b], bytesPerSecond: $0.bytesPerSecond,
        latencySeconds: $0.latencySeconds, duplex: $0.duplex.rawValue, kind: $0.kind)
    }
    let bisection = cluster.bisection()
    bisectionBytesPerSecond = bisection?.bytesPerSecond
    bisectionExhaustive = bisection?.exhaustive
    bisectionHalf = bisection?.half.map { cluster.vertexNames[$0] }
  }

  static func table(_ clusters: [ClusterFacts]) -> String {
    var table = TextTable([
      .init("NAME"), .init("GPU"), .init("GPUS", .right), .init("NODES", .right), .init("SWITCHES", .right),
      .init("LINKS", .right), .init("BISECTION / DIR", .right),
    ])
    for cluster in clusters {
      let bisection = cluster.bisectionBytesPerSecond.map {
        (cluster.bisectionExhaustive == false ? "≤ " : "") + Units.formatBytesPerSecond($0)
      }
      table.append([
        cluster.name, cluster.gpu ?? "-", "\(cluster.gpuCount)", "\(cluster.nodeCount)", "\(cluster.switchCount)",
        "\(cluster.linkCount)", bisection ?? "-",
      ])
    }
    var text = table.rendered
    let described = clusters.filter { $0.description != nil }
    if !described.isEmpty {
      text += "\n\n" + described.map { "\($0.name): \($0.description ?? "")" }.joined(separator: "\n")
    }
    return text
  }
}
