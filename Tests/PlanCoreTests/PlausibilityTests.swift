import Foundation
import Testing

@testable import PlanCore

/// The plausibility table itself: its bounds as written are the bounds it checks.
@Suite struct PlausibilityTableTests {
  @Test func boundsAsWrittenParseToTheBoundsChecked() throws {
    for range in Plausibility.allRanges {
      #expect(try range.parse(range.lowerText) == range.lower, "\(range.quantity): \(range.lowerText)")
      #expect(try range.parse(range.upperText) == range.upper, "\(range.quantity): \(range.upperText)")
      #expect(range.lower < range.upper)
    }
    for count in Plausibility.allCounts { #expect(count.lower < count.upper, "\(count.quantity)") }
  }

  @Test func exaPrefixReadsAsTenToTheEighteen() throws {
    #expect(try Units.flopsPerSecond("1 EFLOP/s") == 1e18)
  }

  @Test func largeCountsAreGroupedByThousands() {
    #expect(PlausibleCount.grouped(1_048_576) == "1,048,576")
    #expect(PlausibleCount.grouped(100) == "100")
  }

  @Test func nearestKeyIsATypoDistanceAway() {
    #expect(FieldReader.nearest("sm_cont", in: ["sm_count", "memory", "l2_cache"]) == "sm_count")
    #expect(FieldReader.nearest("mlp_actt", in: OperatorEfficiency.operatorNames) == "mlp_act")
    #expect(FieldReader.nearest("carrier-pigeon", in: Set(Cluster.linkKinds)) == nil)
    #expect(FieldReader.editDistance("kitten", "sitting") == 3)
  }
}

/// GPU files: absurd values, missing units and typos are refused with file, field, value, range.
@Suite struct GPUPlausibilityTests {
  func load(_ change: (inout [String: Any]) -> Void) throws -> (path: String, run: () throws -> Void) {
    var object = try Fixtures.catalogObject("gpus/a100-80gb-sxm.json")
    change(&object)
    let path = try Fixtures.write(json: object, name: "gpu.json")
    return (path, { _ = try Fixtures.catalog.gpu(path) })
  }

  func efficiency(_ key: String, _ value: Any?) -> (inout [String: Any]) -> Void {
    { object in
      var block = object["efficiency"] as? [String: Any] ?? [:]
      block[key] = value
      object["efficiency"] = block
    }
  }

  @Test func memoryOfTenToThe300GBIsRefusedNotATrap() throws {
    let (path, run) = try load { $0["memory"] = "1e300 GB" }
    expectCatalogError(file: path, field: "memory", reasonContains: ["\"1e300 GB\"", "1 GB … 1 PB"], run)
  }

  @Test func memoryWithoutUnitIsRefusedWithAnExample() throws {
    // "80" used to read as 80 bytes.
    let (path, run) = try load { $0["memory"] = "80" }
    expectCatalogError(file: path, field: "memory", reasonContains: ["\"80\" has no unit", "\"80 GB\""], run)
    let (path2, run2) = try load { $0["memory"] = 80 }
    expectCatalogError(file: path2, field: "memory", reasonContains: ["with a unit"], run2)
  }

  @Test func peakOfTenToThe308TFLOPSIsRefused() throws {
    let (path, run) = try load { $0["peak_dense"] = ["fp16": "1e308 TFLOP/s"] }
    expectCatalogError(
      file: path, field: "peak_dense.fp16", reasonContains: ["\"1e308 TFLOP/s\"", "1 GFLOP/s … 1 EFLOP/s"], run)
  }

  @Test func bandwidthOfTenToTheMinus300IsRefused() throws {
    let (path, run) = try load { $0["memory_bandwidth"] = "1e-300 B/s" }
    expectCatalogError(
      file: path, field: "memory_bandwidth", reasonContains: ["\"1e-300 B/s\"", "1 GB/s … 1 PB/s"], run)
  }

  @Test func denormalEfficiencyIsRefused() throws {
    let (path, run) = try load(efficiency("compute_max", Double.leastNonzeroMagnitude))
    expectCatalogError(file: path, field: "efficiency.compute_max", reasonContains: ["5e-324", "0.001 … 1"], run)
  }

  @Test func overheadOfTenToThe308MicrosecondsIsRefused() throws {
    let (path, run) = try load(efficiency("kernel_launch", "1e308 us"))
    expectCatalogError(
      file: path, field: "efficiency.kernel_launch", reasonContains: ["\"1e308 us\"", "0 s … 1 s"], run)
  }

  @Test func smCountTypoNamesTheNearestField() throws {
    let (path, run) = try load {
      $0["sm_cont"] = $0["sm_count"]
      $0["sm_count"] = nil
    }
    expectCatalogError(file: path, field: "sm_cont", reasonContains: ["unknown field; did you mean sm_count?"], run)
  }

  @Test func absurdSMCountIsRefusedBeforeConversion() throws {
    let (path, run) = try load { $0["sm_count"] = 1e300 }
    expectCatalogError(file: path, field: "sm_count", reasonContains: ["1e+300", "1 … 100,000"], run)
  }

  @Test func operatorTypoNamesTheNearestOperator() throws {
    let (path, run) = try load(efficiency("operators", ["mlp_actt": ["memory_max": 0.5]]))
    expectCatalogError(
      file: path, field: "efficiency.operators.mlp_actt", reasonContains: ["unknown operator; did you mean mlp_act?"],
      run)
  }

  @Test func efficiencyFieldTypoNamesTheNearestField() throws {
    let (path, run) = try load(efficiency("memory_maxx", 0.5))
    expectCatalogError(
      file: path, field: "efficiency.memory_maxx", reasonContains: ["unknown field; did you mean memory_max?"], run)
  }
}

/// Cluster files: link values, link kinds, duplicate links and sizes.
@Suite struct ClusterPlausibilityTests {
  func load(_ object: [String: Any]) throws -> (path: String, run: () throws -> Cluster) {
    let path = try Fixtures.write(json: object, name: "cluster.json")
    return (path, { try Fixtures.catalog.cluster(path) })
  }

  func fourGPUs(_ links: [[String: Any]]) -> [String: Any] {
    ["gpu": "a100-80gb-sxm", "nodes": [["name": "node0", "gpus": 4, "switches": ["sw"]]], "links": links]
  }

  func link(bandwidth: String = "300 GB/s", latency: String = "1 us", kind: String = "nvlink") -> [String: Any] {
    ["from": "node0/gpu*", "to": "node0/sw", "bandwidth": bandwidth, "latency": latency, "kind": kind]
  }

  @Test func latencyOfTenToThe308MicrosecondsIsRefused() throws {
    let (path, run) = try load(fourGPUs([link(latency: "1e308 us")]))
    expectCatalogError(file: path, field: "links[0].latency", reasonContains: ["\"1e308 us\"", "0 s … 1 s"]) {
      _ = try run()
    }
  }

  @Test func bandwidthOfTenToTheMinus300IsRefused() throws {
    let (path, run) = try load(fourGPUs([link(bandwidth: "1e-300 Gbit/s")]))
    expectCatalogError(
      file: path, field: "links[0].bandwidth", reasonContains: ["\"1e-300 Gbit/s\"", "1 Mbit/s … 1 Pbit/s"]
    ) { _ = try run() }
  }

  @Test func carrierPigeonIsNotALinkKind() throws {
    let (path, run) = try load(fourGPUs([link(kind: "carrier-pigeon")]))
    expectCatalogError(
      file: path, field: "links[0].kind",
      reasonContains: ["\"carrier-pigeon\"", "allowed: nvlink, nvswitch, pcie, infiniband, ethernet"]
    ) { _ = try run() }
  }

  @Test func theSameLinkListedFiveTimesIsRefused() throws {
    let (path, run) = try load(fourGPUs(Array(repeating: link(), count: 5)))
    expectCatalogError(
      file: path, field: "links[1].to",
      reasonContains: ["\"node0/gpu0\" and \"node0/sw\" are already joined by links[0]", "list each link once"]
    ) { _ = try run() }
  }

  @Test func linkTypoNamesTheNearestField() throws {
    var bad = link()
    bad["latncy"] = bad.removeValue(forKey: "latency")
    let (path, run) = try load(fourGPUs([bad]))
    expectCatalogError(file: path, field: "links[0].latncy", reasonContains: ["did you mean latency?"]) {
      _ = try run()
    }
  }

  @Test func tensOfMillionsOfGPUsAreRefusedBeforeAllocating() throws {
    // One node of 30 million GPUs (past the 1,024 GPUs of a node), then 2,048 nodes of 1,024:
    // each node plausible, the cluster past the 2²⁰ limit.
    let (path, run) = try load(["nodes": [["name": "n", "gpus": 30_000_000]]])
    expectCatalogError(file: path, field: "nodes[0].gpus", reasonContains: ["30000000", "1 … 1,024"]) {
      _ = try run()
    }
    let nodes = (0..<2048).map { ["name": "n\($0)", "gpus": 1024] as [String: Any] }
    let (path2, run2) = try load(["nodes": nodes])
    expectCatalogError(file: path2, field: "nodes[1024].gpus", reasonContains: ["more than 1,048,576 GPUs"]) {
      _ = try run2()
    }
  }

  /// 12,500 DGX-like nodes of 8 GPUs behind one spine (100,000 GPUs, 200,000 links) load:
  /// `gpu*` expands over the node's own range and names are hashed, so the cost is linear
  /// (before, every `gpu*` entry scanned all GPUs: 2.5·10⁹ steps).
  @Test func hundredThousandGPUClusterLoads() throws {
    let nodeCount = 12_500
    var nodes: [[String: Any]] = []
    var links: [[String: Any]] = []
    for n in 0..<nodeCount {
      nodes.append(["name": "node\(n)", "gpus": 8, "switches": ["nvswitch"]])
      links.append(["from": "node\(n)/gpu*", "to": "node\(n)/nvswitch", "bandwidth": "450 GB/s", "kind": "nvlink"])
      links.append(["from": "node\(n)/gpu*", "to": "spine", "bandwidth": "400 Gbit/s", "kind": "infiniband"])
    }
    let (_, run) = try load(["nodes": nodes, "switches": ["spine"], "links": links])
    let cluster = try run()
    #expect(cluster.gpuCount == 100_000)
    #expect(cluster.links.count == 200_000)
    #expect(cluster.vertexCount == 100_000 + nodeCount + 1)
  }
}

/// Model files: sizes before conversion, the `llmplan` block strict, other HF fields a warning.
@Suite struct ModelPlausibilityTests {
  func write(_ change: (inout [String: Any]) -> Void) throws -> (path: String, reader: FieldReader) {
    var object = try Fixtures.catalogObject("llm/llama-2-7b.json")
    change(&object)
    let path = try Fixtures.write(json: object, name: "config.json")
    return (path, try DataFile.read(path))
  }

  @Test func hiddenSizeOfTenToThe300IsRefusedNotATrap() throws {
    let (path, reader) = try write { $0["hidden_size"] = 1e300 }
    expectCatalogError(file: path, field: "hidden_size", reasonContains: ["1e+300", "1 … 1,048,576"]) {
      _ = try ModelSpec.load(from: reader, name: "m", warn: { _ in })
    }
  }

  @Test func contextLengthBeyondTheTokenLimitIsRefused() throws {
    let (path, reader) = try write { $0["max_position_embeddings"] = 1_000_000_000_000 }
    expectCatalogError(
      file: path, field: "max_position_embeddings", reasonContains: ["1000000000000", "1 … 100,000,000"]
    ) { _ = try ModelSpec.load(from: reader, name: "m", warn: { _ in }) }
  }

  @Test func unfamiliarHuggingFaceFieldIsAWarningNotAnError() throws {
    let (path, reader) = try write {
      $0["future_field_of_2030"] = 7
      $0["num_hiden_layers"] = 3
    }
    var warnings: [String] = []
    let model = try ModelSpec.load(from: reader, name: "m", warn: { warnings.append($0) })
    #expect(model.numLayers == 32)
    #expect(
      warnings == [
        "\(path): future_field_of_2030: unfamiliar config.json field, ignored",
        "\(path): num_hiden_layers: unfamiliar config.json field, ignored; did you mean num_hidden_layers?",
      ])
  }

  @Test func llmplanBlockTypoIsAnError() throws {
    let (path, reader) = try write { $0["llmplan"] = ["display_nam": "x"] }
    expectCatalogError(file: path, field: "llmplan.display_nam", reasonContains: ["did you mean display_name?"]) {
      _ = try ModelSpec.load(from: reader, name: "m", warn: { _ in })
    }
  }
}

/// Every file shipped under Models/ and Reports/ still loads, and shipped models raise no warning.
@Suite struct ShippedFilesTests {
  static let repositoryRoot = URL(fileURLWithPath: Fixtures.catalogRoot).deletingLastPathComponent().path

  @Test func everyCatalogFileLoadsWithoutWarnings() throws {
    for name in Fixtures.catalog.names(.model) {
      let (path, _) = try Fixtures.catalog.resolve(name, kind: .model)
      var warnings: [String] = []
      _ = try ModelSpec.load(from: DataFile.read(path), name: name, warn: { warnings.append($0) })
      #expect(warnings.isEmpty, "\(warnings)")
    }
    #expect(try Fixtures.catalog.allGPUs().count == Fixtures.catalog.names(.gpu).count)
    #expect(try Fixtures.catalog.allClusters().count == Fixtures.catalog.names(.cluster).count)
  }

  @Test func everyShippedScenarioLoads() throws {
    let reports = Self.repositoryRoot + "/Reports"
    let files = try FileManager.default.subpathsOfDirectory(atPath: reports)
      .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
    #expect(!files.isEmpty)
    for file in files { _ = try Scenario.load(reports + "/" + file) }
  }
}
