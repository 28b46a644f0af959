import Foundation
import Testing

@testable import PlanCore

/// Every kind of bad input is refused with an error naming the file, the field and the reason.
@Suite struct ModelValidationTests {
  /// Llama 2 7B with fields changed, written to a temporary file, loaded through the catalog.
  func load(_ change: (inout [String: Any]) -> Void) throws -> (path: String, run: () throws -> Void) {
    var object = try Fixtures.catalogObject("llm/llama-2-7b.json")
    change(&object)
    let path = try Fixtures.write(json: object, name: "model.json")
    return (path, { _ = try Fixtures.catalog.model(path) })
  }

  @Test func headsMustDivideHiddenSize() throws {
    // 4096 / 30 is not whole: the heads cannot split the hidden state.
    let (path, run) = try load { $0["num_attention_heads"] = 30 }
    expectCatalogError(file: path, field: "num_attention_heads", reasonContains: ["30", "4096"], run)
  }

  @Test func kvHeadsMustDivideHeads() throws {
    // 32 query heads cannot share 5 key/value heads evenly.
    let (path, run) = try load { $0["num_key_value_heads"] = 5 }
    expectCatalogError(file: path, field: "num_key_value_heads", reasonContains: ["5", "32"], run)
  }

  @Test func missingRequiredField() throws {
    let (path, run) = try load { $0["hidden_size"] = nil }
    expectCatalogError(file: path, field: "hidden_size", reasonContains: ["missing"], run)
  }

  @Test func publishedParameterCountMustAgree() throws {
    // A 6.74e9-parameter architecture claiming 13e9 is 48 % off, far past the 1.5 % allowed.
    let (path, run) = try load {
      var extra = $0["llmplan"] as? [String: Any] ?? [:]
      extra["published_parameters"] = 13e9
      $0["llmplan"] = extra
    }
    expectCatalogError(file: path, field: "llmplan.published_parameters", reasonContains: ["published"], run)
  }

  @Test func publishedCountJustInsideTheToleranceIsAccepted() throws {
    // 6,738,415,616 × 1.014 is 1.4 % above the derived count (Llama 2 7B's published
    // 6,738,415,616): accepted, kept as given, and the model keeps its own count.
    let published = 6_738_415_616 * 1.014
    let (path, _) = try load { $0["llmplan"] = ["published_parameters": published] }
    let model = try Fixtures.catalog.model(path)
    #expect(model.publishedParameters == published)
    #expect(model.parameterCount == 6_738_415_616)
  }

  @Test func wrongTypesAreRefused() throws {
    let (path, run) = try load { $0["hidden_size"] = true }
    expectCatalogError(file: path, field: "hidden_size", reasonContains: ["boolean"], run)
    let (path2, run2) = try load { $0["tie_word_embeddings"] = 1 }
    expectCatalogError(file: path2, field: "tie_word_embeddings", reasonContains: ["true or false"], run2)
    let (path3, run3) = try load { $0["num_hidden_layers"] = -2 }
    expectCatalogError(file: path3, field: "num_hidden_layers", reasonContains: ["positive"], run3)
    let (path4, run4) = try load { $0["torch_dtype"] = "float13" }
    expectCatalogError(file: path4, field: "torch_dtype", reasonContains: ["float13"], run4)
  }

  @Test func nullReadsAsAbsent() throws {
    // HuggingFace writes "rope_scaling": null; a null KV-head count falls back to MHA (one
    // KV head per attention head), as an absent one does. Read as 0 it would be refused.
    let (path, _) = try load {
      $0["num_key_value_heads"] = NSNull()
      $0["num_attention_heads"] = 16
      $0["rope_scaling"] = NSNull()
    }
    let model = try Fixtures.catalog.model(path)
    #expect(model.numHeads == 16 && model.numKVHeads == 16)
    let (absentPath, _) = try load {
      $0["num_key_value_heads"] = nil
      $0["num_attention_heads"] = 16
    }
    #expect(try Fixtures.catalog.model(absentPath) == model)
  }

  @Test func malformedJSON() throws {
    let path = try Fixtures.write("{ \"hidden_size\": 4096,\n  \"num_hidden_layers\": ", name: "broken.json")
    expectCatalogError(file: path, field: "", reasonContains: ["not valid JSON"]) {
      _ = try Fixtures.catalog.model(path)
    }
  }

  @Test func topLevelMustBeAnObject() throws {
    let path = try Fixtures.write("[1, 2, 3]", name: "list.json")
    expectCatalogError(file: path, field: "", reasonContains: ["object"]) { _ = try Fixtures.catalog.model(path) }
  }

  @Test func unknownCatalogNameListsTheKnownOnes() {
    do {
      _ = try Fixtures.catalog.model("llama-9")
      Issue.record("expected an error")
    } catch let error as CatalogError {
      #expect(error.reason.contains("llama-2-7b"))
    } catch {
      Issue.record("unexpected \(error)")
    }
  }
}

@Suite struct GPUValidationTests {
  func load(_ change: (inout [String: Any]) -> Void) throws -> (path: String, run: () throws -> Void) {
    var object = try Fixtures.catalogObject("gpus/a100-80gb-sxm.json")
    change(&object)
    let path = try Fixtures.write(json: object, name: "gpu.json")
    return (path, { _ = try Fixtures.catalog.gpu(path) })
  }

  @Test func negativeBandwidth() throws {
    let (path, run) = try load { $0["memory_bandwidth"] = "-2039 GB/s" }
    expectCatalogError(file: path, field: "memory_bandwidth", reasonContains: ["positive"], run)
  }

  @Test func unknownUnit() throws {
    let (path, run) = try load { $0["memory"] = "80 GQ" }
    expectCatalogError(file: path, field: "memory", reasonContains: ["GQ"], run)
    let (path2, run2) = try load {
      var efficiency = $0["efficiency"] as? [String: Any] ?? [:]
      efficiency["compute_half_saturation_flops"] = "3.12 GFLOPS"
      $0["efficiency"] = efficiency
    }
    expectCatalogError(file: path2, field: "efficiency.compute_half_saturation_flops", reasonContains: ["GFLOPS"], run2)
  }

  @Test func missingRequiredField() throws {
    let (path, run) = try load { $0["memory"] = nil }
    expectCatalogError(file: path, field: "memory", reasonContains: ["missing"], run)
    let (path2, run2) = try load {
      var efficiency = $0["efficiency"] as? [String: Any] ?? [:]
      efficiency["memory_max"] = nil
      $0["efficiency"] = efficiency
    }
    expectCatalogError(file: path2, field: "efficiency.memory_max", reasonContains: ["missing"], run2)
  }

  @Test func efficiencyFractionOutOfRange() throws {
    // Achieving 120 % of peak is impossible.
    let (path, run) = try load {
      var efficiency = $0["efficiency"] as? [String: Any] ?? [:]
      efficiency["compute_max"] = 1.2
      $0["efficiency"] = efficiency
    }
    expectCatalogError(file: path, field: "efficiency.compute_max", reasonContains: ["fraction"], run)
  }
}

@Suite struct ClusterValidationTests {
  /// A 4-GPU ring with the given links (from, to, bandwidth), written and loaded.
  func load(gpus: Int = 4, links: [[String: Any]]) throws -> (path: String, run: () throws -> Void) {
    let object: [String: Any] = [
      "gpu": "a100-80gb-sxm", "nodes": [["name": "node0", "gpus": gpus, "switches": ["sw"]]], "links": links,
    ]
    let path = try Fixtures.write(json: object, name: "cluster.json")
    return (path, { _ = try Fixtures.catalog.cluster(path) })
  }

  func link(_ from: String, _ to: String, _ bandwidth: String = "300 GB/s") -> [String: Any] {
    ["from": from, "to": to, "bandwidth": bandwidth, "latency": "1 us"]
  }

  @Test func negativeBandwidth() throws {
    let (path, run) = try load(links: [link("node0/gpu*", "node0/sw", "-300 GB/s")])
    expectCatalogError(file: path, field: "links[0].bandwidth", reasonContains: ["positive"], run)
  }

  @Test func unknownUnit() throws {
    let (path, run) = try load(links: [link("node0/gpu*", "node0/sw", "300 GX/s")])
    expectCatalogError(file: path, field: "links[0].bandwidth", reasonContains: ["GX"], run)
    let (path2, run2) = try load(links: [
      ["from": "node0/gpu*", "to": "node0/sw", "bandwidth": "1 GB/s", "latency": "3 parsecs"]
    ])
    expectCatalogError(file: path2, field: "links[0].latency", reasonContains: ["parsecs"], run2)
  }

  @Test func bandwidthWithoutUnit() throws {
    let (path, run) = try load(links: [["from": "node0/gpu*", "to": "node0/sw", "bandwidth": 300]])
    expectCatalogError(file: path, field: "links[0].bandwidth", reasonContains: ["unit"], run)
  }

  @Test func linkToUnknownGPU() throws {
    let (path, run) = try load(links: [link("node0/gpu*", "node0/sw"), link("node0/gpu0", "node0/gpu9")])
    expectCatalogError(file: path, field: "links[1].to", reasonContains: ["node0/gpu9"], run)
    let (path2, run2) = try load(links: [link("node7/gpu*", "node0/sw")])
    expectCatalogError(file: path2, field: "links[0].from", reasonContains: ["node7"], run2)
  }

  @Test func disconnectedGPU() throws {
    // gpu3 has no link at all.
    let (path, run) = try load(links: [
      link("node0/gpu0", "node0/sw"), link("node0/gpu1", "node0/sw"), link("node0/gpu2", "node0/sw"),
    ])
    expectCatalogError(file: path, field: "links", reasonContains: ["node0/gpu3", "not connected"], run)
  }

  @Test func missingRequiredField() throws {
    let (path, run) = try load(links: [["from": "node0/gpu*", "to": "node0/sw"]])
    expectCatalogError(file: path, field: "links[0].bandwidth", reasonContains: ["missing"], run)
    let path2 = try Fixtures.write(json: ["links": []], name: "nonodes.json")
    expectCatalogError(file: path2, field: "nodes", reasonContains: ["missing"]) {
      _ = try Fixtures.catalog.cluster(path2)
    }
  }

  @Test func multiGPUClusterWithoutLinksIsDisconnected() throws {
    let path = try Fixtures.write(json: ["nodes": [["name": "node0", "gpus": 2]]], name: "nolinks.json")
    expectCatalogError(file: path, field: "links", reasonContains: ["node0/gpu1", "not connected"]) {
      _ = try Fixtures.catalog.cluster(path)
    }
  }

  @Test func singleGPUNeedsNoLinks() throws {
    let path = try Fixtures.write(json: ["nodes": [["name": "box", "gpus": 1]]], name: "single.json")
    let cluster = try Fixtures.catalog.cluster(path)
    #expect(cluster.gpuCount == 1 && cluster.links.isEmpty && cluster.vertexNames == ["box/gpu0"])
  }

  @Test func selfLink() throws {
    let (path, run) = try load(gpus: 2, links: [link("node0/gpu0", "node0/gpu0"), link("node0/gpu0", "node0/gpu1")])
    expectCatalogError(file: path, field: "links[0].to", reasonContains: ["itself"], run)
  }

  @Test func malformedJSON() throws {
    let path = try Fixtures.write("{\"nodes\": [{\"name\": \"node0\" \"gpus\": 4}]}", name: "broken-cluster.json")
    expectCatalogError(file: path, field: "", reasonContains: ["not valid JSON"]) {
      _ = try Fixtures.catalog.cluster(path)
    }
  }
}
