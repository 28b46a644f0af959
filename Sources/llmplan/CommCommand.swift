import Analytic
import ArgumentParser
import Foundation
import PlanCore

/// `llmplan comm`: one collective's time on a cluster's topology.
struct CommCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "comm",
    abstract: "Time one collective (all-reduce, all-gather, send/recv) on a cluster's topology.",
    discussion: """
      Routes the collective's traffic over the cluster graph (electrical flow over every path, \
      or the widest single path, whichever is faster), finds the busiest link, and compares \
      the ring and tree (chains inside nodes, double binary tree across nodes) algorithms, each \
      with NCCL's LL, LL128 and Simple protocols when the GPU's profile has protocol laws, and \
      picks the fastest the way NCCL's tuner does. Sizes take \
      units: --bytes "16 MB", "16MiB", 1048576. For all_reduce the size is each GPU's buffer; \
      for all_gather the gathered buffer; for send_recv the payload (--placement SRC,DST).
      """)

  @OptionGroup var catalogOptions: CatalogOptions

  @Option(name: .long, help: "Cluster name in the catalog, or a path to a cluster JSON file.")
  var cluster: String

  @Option(name: .long, help: "all_reduce, all_gather, reduce_scatter, alltoall or send_recv.")
  var collective: String

  @Option(
    name: .long, parsing: .unconditional, help: "Number of GPUs in the group (default: the placement's size, else 2).")
  var gpus: Int?

  func validate() throws {
    try FlagCheck.atLeast(gpus, 1, "--gpus")
  }

  @Option(name: .long, help: "The group's GPU indices in rank order, e.g. 0,1,8,9 (default: 0..<gpus).")
  var placement: String?

  @Option(name: .long, help: "Message size, e.g. \"16 MB\" or 1048576.")
  var bytes: String

  @Option(name: .long, help: "GPU whose efficiency profile applies (default: the cluster's GPU).")
  var gpu: String?

  @Flag(name: .long, help: "Print JSON instead of text.")
  var json = false

  @Flag(
    name: .long,
    help:
      "all_reduce: also cost vLLM's custom all-reduce (up to 8 MiB and 8 GPUs of one NVLink node, one-shot or two-shot by vLLM's rule)."
  )
  var customAllReduce = false

  @Flag(name: .long, help: "With --custom-all-reduce: an eager call (outside a captured CUDA graph).")
  var eager = false

  func run() throws {
    try withUserFacingErrors {
      let report = try makeReport()
      if json {
        try JSONOutput.print(report)
      } else {
        print(report.text)
      }
    }
  }

  func makeReport() throws -> CommReport {
    guard let kind = Collective(rawValue: collective) else {
      throw UserFacingError(
        message:
          "unknown collective \"\(collective)\" (use \(Collective.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    let size: Double
    do { size = try Units.bytes(bytes) } catch { throw UserFacingError(message: "--bytes: \(error)") }
    let group = try groupGPUs()
    let catalog = try catalogOptions.load()
    let topology = try catalog.cluster(cluster)
    guard let gpuName = gpu ?? topology.defaultGPU else {
      throw UserFacingError(
        message: "cluster \(topology.name) names no GPU; pass --gpu NAME for its efficiency profile")
    }
    let spec = try catalog.gpu(gpuName)
    let model = CommModel(cluster: topology, efficiency: spec.efficiency)
    let estimate = try model.estimate(kind, bytes: size, gpus: group)
    var report = CommReport(cluster: topology, gpu: spec.name, estimate: estimate)
    if customAllReduce {
      guard kind == .allReduce else { throw UserFacingError(message: "--custom-all-reduce applies to all_reduce only") }
      // vLLM's defaults: `CustomAllreduce(max_size=8192 * 1024)`, world sizes up to 8.
      let policy = AllReducePolicy(
        customEnabled: true, customMaxBytes: 8 * 1024 * 1024, customMaxGPUs: 8,
        oneShotMaxBytes: CustomAllReduceLaw.vllmOneShotMaxBytes(gpus: group.count))
      if let refusal = model.customAllReduceRefusal(gpus: group, policy: policy) {
        report.customAllReduce = CommReport.Custom(algorithm: "nccl", seconds: estimate.seconds, note: refusal)
      } else {
        let curve = try model.allReduceCurve(gpus: group, policy: policy, cudaGraphs: !eager).curve(bytes: size)
        let note =
          size > policy.customMaxBytes ? "above vLLM's 8 MiB limit: NCCL" : (eager ? "eager call" : "graph-captured")
        report.customAllReduce = CommReport.Custom(
          algorithm: curve.algorithm == "one_shot" || curve.algorithm == "two_shot" ? curve.algorithm : "nccl",
          seconds: curve.seconds(bytes: size), note: note)
      }
    }
    return report
  }

  func groupGPUs() throws -> [Int] {
    if let placement {
      let parts = placement.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      var result: [Int] = []
      for part in parts {
        guard let index = Int(part) else {
          throw UserFacingError(message: "--placement: \"\(part)\" is not a GPU index (write e.g. 0,1,8,9)")
        }
        result.append(index)
      }
      if let gpus, gpus != result.count {
        throw UserFacingError(message: "--gpus \(gpus) does not match the \(result.count) GPUs of --placement")
      }
      return result
    }
    let count = gpus ?? 2
    guard count > 0 else { throw UserFacingError(message: "--gpus must be positive, got \(count)") }
    return Array(0..<count)
  }
}

/// What `llmplan comm` reports; JSON keys are camelCase with units in the names.
struct CommReport: Encodable {
  struct Link: Encodable {
    var from: String
    var to: String
    var kind: String
    var linkBytesPerSecond: Double
    var halfDuplex: Bool
    var loadBytes: Double
    var busySeconds: Double
    var achievedBytesPerSecond: Double
  }

  var cluster: String
  var gpu: String
  var collective: String
  var gpus: [Int]
  var gpuNames: [String]
  var bytes: Double
  var seconds: Double
  var algorithm: String
  /// NCCL protocol of the chosen curve ("LL", "LL128", "Simple"); "" under the single law.
  var protocolName: String
  var routing: String
  var order: [Int]
  var channels: [[Int]]
  var channelShares: [Double]
  var latencySeconds: Double
  var algorithmBytesPerSecond: Double?
  var busBytesPerSecond: Double?
  var busiestLink: Link?
  var alternatives: [CollectiveAlternative]
  var relaysThroughOtherGPUs: Bool
  /// With `--custom-all-reduce`: what vLLM's kernel (or NCCL, where it does not apply) takes.
  var customAllReduce: Custom?

  struct Custom: Encodable {
    /// "one_shot", "two_shot", or "nccl" when the kernel does not apply.
    var algorithm: String
    var seconds: Double
    var note: String
  }

  init(cluster: Cluster, gpu: String, estimate: CollectiveEstimate) {
    self.cluster = cluster.name
    self.gpu = gpu
    collective = estimate.collective.rawValue
    gpus = estimate.gpus
    gpuNames = estimate.gpus.map { cluster.vertexNames[$0] }
    bytes = estimate.bytes
    seconds = estimate.seconds
    algorithm = estimate.algorithm
    protocolName = estimate.protocolName
    routing = estimate.routing
    order = estimate.order
    channels = estimate.channels
    channelShares = estimate.channelShares
    latencySeconds = estimate.latencySeconds
    // Infinite when nothing moves (one GPU, zero bytes): JSON has no infinity, so omit.
    algorithmBytesPerSecond = estimate.algorithmBytesPerSecond.isFinite ? estimate.algorithmBytesPerSecond : nil
    busBytesPerSecond = estimate.busBytesPerSecond.isFinite ? estimate.busBytesPerSecond : nil
    busiestLink = estimate.busiestLink.map {
      Link(
        from: $0.fromVertex, to: $0.toVertex, kind: $0.kind, linkBytesPerSecond: $0.linkBytesPerSecond,
        halfDuplex: $0.halfDuplex, loadBytes: $0.loadBytes, busySeconds: $0.busySeconds,
        achievedBytesPerSecond: estimate.bottleneckBytesPerSecond)
    }
    alternatives = estimate.alternatives
    relaysThroughOtherGPUs = estimate.relaysThroughOtherGPUs
  }

  var text: String {
    var lines: [String] = []
    lines.append(
      "\(collective) of \(Units.formatBytes(bytes)) over \(gpus.count) GPU(s) of \(cluster) (\(gpu) profile)")
    lines.append("  GPUs:        \(Self.abbreviated(gpuNames, separator: ", "))")
    let chosen = protocolName.isEmpty ? algorithm : "\(algorithm), \(protocolName) protocol"
    lines.append("  time:        \(Units.formatSeconds(seconds))  (\(chosen), \(routing) routing)")
    if let algorithmBytesPerSecond, let busBytesPerSecond {
      lines.append(
        "  bandwidth:   algorithm \(Units.formatBytesPerSecond(algorithmBytesPerSecond)), "
          + "bus \(Units.formatBytesPerSecond(busBytesPerSecond))")
    }
    lines.append("  latency:     \(Units.formatSeconds(latencySeconds)) (α terms)")
    if order.count > 2 {
      let rings = channels.count > 1 ? " (first of \(channels.count) rings sharing the data)" : ""
      lines.append("  order:       \(Self.abbreviated(order.map(String.init), separator: " → "))\(rings)")
    }
    if let link = busiestLink {
      let kind = link.kind.isEmpty ? "" : " [\(link.kind)]"
      lines.append(
        "  busiest link: \(link.from) → \(link.to)\(kind), \(Units.formatBytesPerSecond(link.linkBytesPerSecond))"
          + "\(link.halfDuplex ? " half duplex" : ""): carries \(Units.formatBytes(link.loadBytes)), "
          + "busy \(Units.formatSeconds(link.busySeconds)) at \(Units.formatBytesPerSecond(link.achievedBytesPerSecond))"
      )
    }
    if alternatives.count > 1 {
      lines.append("  algorithms:")
      for alternative in alternatives {
        let label =
          alternative.protocolName.isEmpty
          ? alternative.algorithm : "\(alternative.algorithm)/\(alternative.protocolName)"
        lines.append(
          "    \(label.padding(toLength: alternative.protocolName.isEmpty ? 5 : 16, withPad: " ", startingAt: 0)) \(Units.formatSeconds(alternative.seconds)) (\(alternative.routing))"
        )
      }
    }
    if let custom = customAllReduce {
      lines.append(
        "  vLLM custom all-reduce: \(Units.formatSeconds(custom.seconds)) (\(custom.algorithm.replacingOccurrences(of: "_", with: "-")), \(custom.note))"
      )
    }
    if relaysThroughOtherGPUs {
      lines.append("  note: the group's GPUs are joined only through GPUs outside it; those were allowed to relay")
    }
    return lines.joined(separator: "\n")
  }

  /// A list for a terminal: whole up to 16 items, else the first 8, "…", the last 2 and the
  /// count (a 4,096-GPU group would otherwise print 4,096 names; `--json` keeps them all).
  static func abbreviated(_ items: [String], separator: String) -> String {
    guard items.count > 16 else { return items.joined(separator: separator) }
    let head = items.prefix(8).joined(separator: separator)
    let tail = items.suffix(2).joined(separator: separator)
    return "\(head)\(separator)…\(separator)\(tail) (\(items.count) in all)"
  }
}
