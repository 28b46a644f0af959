import Analytic
import PlanCore
import Testing

@testable import Calibration

@Suite struct MeasurementReaderTests {
  static let model = ModelSpec(
    name: "tiny", hiddenSize: 1024, numLayers: 2, numHeads: 8, intermediateSize: 4096, vocabSize: 1000,
    maxPositionEmbeddings: 2048, gatedMLP: true)

  @Test func simpleFormatReadsOperatorsAndCollectivesInAnyColumnOrder() throws {
    let text = """
      # my measurements, seconds
      seconds,kind,name,tokens,tp,bytes,gpus,gpus_per_node,phase,context
      0.0000905,operator,qkv_proj,512,2,,,,,
      0.000020,operator,attn_pre_proj,64,1,,,,,
      0.000031,operator,attention,8,1,,,,decode,1000

      0.000115,collective,all_reduce,,,16777216,8,,,
      0.000129,collective,send_recv,,,4194304,2,1,,
      """
    let set = try MeasurementReader(defaultModel: Self.model).read(text: text, file: "mine.csv")
    try #require(set.operators.count == 3 && set.collectives.count == 2)
    let qkv = set.operators[0]
    #expect(qkv.operatorName == "qkv_proj" && qkv.tensorParallel == 2 && qkv.batch == .prefill(tokens: 512, cached: 0))
    #expect(qkv.seconds == 0.0000905 && qkv.origin.line == 3)
    // A profiler alias maps onto the cost model's operator.
    #expect(set.operators[1].operatorName == "qkv_proj" && set.operators[1].measuredName == "attn_pre_proj")
    #expect(set.operators[2].batch == .decode(sequences: 8, context: 1000))
    let allReduce = set.collectives[0]
    // gpus_per_node defaults to gpus: one node.
    #expect(
      allReduce.collective == .allReduce && allReduce.gpus == 8 && allReduce.gpusPerNode == 8 && allReduce.nodes == 1)
    #expect(set.collectives[1].nodes == 2 && set.collectives[1].origin.line == 8)
  }

  @Test func windowsLineEndingsReadLikeUnixOnes() throws {
    // Spreadsheets and Python's csv module write "\r\n"; Swift treats "\r\n" as one Character,
    // so a reader splitting on "\n" saw one long line. Same rows, same line numbers either way.
    let lines = [
      "kind,name,tokens,tp,bytes,gpus,gpus_per_node,seconds",
      "operator,qkv_proj,512,2,,,,0.0000905",
      "collective,all_reduce,,,16777216,8,,0.000115",
    ]
    let unix = try MeasurementReader(defaultModel: Self.model).read(text: lines.joined(separator: "\n"), file: "u.csv")
    let windows = try MeasurementReader(defaultModel: Self.model).read(
      text: lines.joined(separator: "\r\n") + "\r\n", file: "w.csv")
    try #require(windows.operators.count == 1 && windows.collectives.count == 1)
    try #require(unix.operators.count == 1 && unix.collectives.count == 1)
    #expect(windows.operators[0].seconds == unix.operators[0].seconds)
    #expect(windows.collectives[0].origin.line == 3 && unix.collectives[0].origin.line == 3)
  }

  @Test func badCellNamesFileLineAndColumn() {
    let text = """
      kind,name,tokens,tp,seconds
      operator,qkv_proj,512,1,0.0001
      operator,mlp_act,2x,1,0.0001
      """
    #expect {
      _ = try MeasurementReader(defaultModel: Self.model).read(text: text, file: "runs.csv")
    } throws: { error in
      guard let error = error as? MeasurementFileError else { return false }
      return error.file == "runs.csv" && error.line == 3 && error.column == "tokens"
        && error.description == "runs.csv:3: column \"tokens\": \"2x\" is not a finite number"
    }
  }

  @Test func rowsOfTheWrongWidthAndUnknownNamesAreErrors() {
    let reader = MeasurementReader(defaultModel: Self.model)
    #expect(throws: MeasurementFileError(file: "a.csv", line: 2, reason: "the row has 3 fields, the header has 5")) {
      _ = try reader.read(text: "kind,name,tokens,tp,seconds\noperator,qkv_proj,1\n", file: "a.csv")
    }
    #expect {
      _ = try reader.read(text: "kind,name,tokens,seconds\noperator,softmax,4,0.001\n", file: "b.csv")
    } throws: { ($0 as? MeasurementFileError)?.column == "name" && ($0 as? MeasurementFileError)?.line == 2 }
    #expect {
      _ = try reader.read(text: "kind,name,tokens,seconds\noperator,qkv_proj,4,-0.001\n", file: "c.csv")
    } throws: { ($0 as? MeasurementFileError)?.column == "seconds" }
    // Operator rows need a model from somewhere.
    #expect {
      _ = try MeasurementReader().read(text: "kind,name,tokens,seconds\noperator,qkv_proj,4,0.001\n", file: "d.csv")
    } throws: { ($0 as? MeasurementFileError)?.column == "model" }
    #expect {
      _ = try reader.read(text: "a,b\n1,2\n", file: "e.csv")
    } throws: { ($0 as? MeasurementFileError)?.reason.contains("unrecognised header") == true }
  }

  @Test func quotedFieldsKeepTheirCommas() throws {
    let table = try CSVTable(text: "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",3\n", file: "q.csv")
    try #require(table.rows.count == 1)
    #expect(table.rows[0].fields == ["x, y", "say \"hi\"", "3"])
    #expect(throws: MeasurementFileError(file: "q.csv", line: 2, reason: "a quoted field is not closed")) {
      _ = try CSVTable(text: "a\n\"open\n", file: "q.csv")
    }
  }

  @Test func profilerOperatorFileUsesMediansInMillisecondsAndTheLayerShape() throws {
    // Two rows in the Vidur layout (columns trimmed to two operators); times in ms.
    let text = """
      time_stats.attn_pre_proj.min,time_stats.attn_pre_proj.max,time_stats.attn_pre_proj.mean,time_stats.attn_pre_proj.median,time_stats.attn_pre_proj.std,time_stats.add.min,time_stats.add.max,time_stats.add.mean,time_stats.add.median,time_stats.add.std,time_stats.attn_rope.min,time_stats.attn_rope.max,time_stats.attn_rope.mean,time_stats.attn_rope.median,time_stats.attn_rope.std,n_head,n_kv_head,n_embd,n_expanded_embd,vocab_size,use_gated_mlp,num_tokens,num_tensor_parallel_workers
      0.5,0.6,0.55,0.584,0.01,0.03,0.032,0.031,0.031,0.0004,0.08,0.09,0.085,0.0835,0.001,32,32,4096,11008,32768,True,4096,1
      0.01,0.02,0.015,0.014,0.001,0.001,0.001,0.001,0.001,0,0.002,0.002,0.002,0.002,0,32,32,4096,11008,32768,True,1,4
      """
    let set = try MeasurementReader().read(text: text, file: "mlp.csv")
    // attn_pre_proj and add per row; attn_rope has no operator of its own in the cost model.
    #expect(set.operators.count == 4)
    try #require(set.skipped.count == 1)
    #expect(set.skipped[0].name == "attn_rope" && set.skipped[0].count == 2)
    let qkv = try #require(set.operators.first { $0.operatorName == "qkv_proj" && $0.tensorParallel == 1 })
    #expect(abs(qkv.seconds - 0.584e-3) < 1e-15)
    #expect(qkv.batch.tokens == 4096)
    #expect(
      qkv.model.hiddenSize == 4096 && qkv.model.intermediateSize == 11008 && qkv.model.gatedMLP
        && qkv.model.dtype == .fp16)
    // The profiler times one of the layer's two residual adds.
    let add = try #require(set.operators.first { $0.measuredName == "add" })
    #expect(add.operatorName == "residual_add" && add.shareOfOperator == 0.5)
  }

  @Test func profilerCollectiveFileReadsGroupsAndBytes() throws {
    let text = """
      ,time_stats.send_recv.min,time_stats.send_recv.max,time_stats.send_recv.mean,time_stats.send_recv.median,time_stats.send_recv.std,rank,num_workers,size,collective,devices_per_node,max_devices_per_node
      0,0.01,0.02,0.015,0.017,0.004,0,2,2048,send_recv,1,8
      1,0.017,0.064,0.033,0.019,0.02,0,2,10240,send_recv,2,8
      """
    let set = try MeasurementReader().read(text: text, file: "send_recv.csv")
    try #require(set.collectives.count == 2)
    #expect(
      set.collectives[0].collective == .sendRecv && set.collectives[0].nodes == 2 && set.collectives[0].bytes == 2048)
    #expect(abs(set.collectives[0].seconds - 17e-6) < 1e-15)
    #expect(set.collectives[1].nodes == 1 && set.collectives[1].groupLabel == "send_recv 2 GPUs (1 node)")
  }

  @Test func interleavedHalvesSplitEveryGroupEvenly() {
    var set = MeasurementSet()
    for (index, bytes) in [4096.0, 1024, 2048, 8192, 16384].enumerated() {
      set.collectives.append(
        CollectiveMeasurement(
          collective: .allReduce, gpus: 8, gpusPerNode: 8, bytes: bytes, seconds: 1e-5,
          origin: MeasurementOrigin(file: "f", line: index + 2)))
    }
    let halves = set.interleavedHalves()
    // Sorted by size: 1024, 2048, 4096, 8192, 16384 → fit takes 1st, 3rd, 5th.
    #expect(halves.fit.collectives.map(\.bytes) == [1024, 4096, 16384])
    #expect(halves.holdout.collectives.map(\.bytes) == [2048, 8192])
  }
}
