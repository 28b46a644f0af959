/// The `llmplan` command lines a case runs on its mutated file: for each kind of file, the
/// commands that read it, covering loading, the analytic model (estimate, ops, comm), the
/// planner's search with a short simulation, and both text and JSON rendering.
public enum FuzzPlan {
  /// One command line (without the program name) and whether it prints JSON.
  public struct Invocation: Sendable, Hashable {
    public let arguments: [String]
    public var isJSON: Bool { arguments.contains("--json") }
    public var commandLine: String { "llmplan " + arguments.map(quoted).joined(separator: " ") }

    private func quoted(_ argument: String) -> String {
      argument.contains(where: { $0 == " " || $0 == "\"" }) || argument.isEmpty
        ? "\"" + argument.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : argument
    }
  }

  /// A short run of the planner: a few seconds of simulated arrivals, one layout simulated,
  /// no maximum-rate search, no report file.
  static let shortPlan = [
    "--duration", "6 s", "--warmup", "1 s", "--drain", "5 s", "--top-k", "1", "--no-max-rate-search", "--no-report",
  ]

  /// Commands for a case: `catalog` is the catalog directory holding the mutated catalog file
  /// under its own name; `listing` a catalog directory holding only the mutated file (the
  /// listings then read that file alone: `clusters` computes each cluster's bisection, which
  /// is the cost of a case); `scenarioPath` the mutated scenario file.
  public static func invocations(
    for file: FuzzCorpus.File, catalog: String, listing: String, scenarioPath: String
  ) -> [Invocation] {
    let c = ["--catalog", catalog]
    let l = ["--catalog", listing]
    let request = ["--prompt", "512", "--output", "128"]
    var lines: [[String]]
    switch file.kind {
    case .model:
      let m = ["--model", file.stem]
      lines = [
        ["models"] + l + ["--json"],
        // Layouts that hold every shipped model, GPT-3 175B included (350 GB of weights).
        ["estimate"] + c + m + ["--gpu", "a100-80gb-sxm", "--tp", "4", "--pp", "2"] + request + [
          "--rate", "2", "--json",
        ],
        ["estimate"] + c + m + ["--cluster", "dgx-h100", "--tp", "8"] + request + ["--rate", "1"],
        ["ops"] + c + m + ["--gpu", "h100-80gb-sxm", "--tp", "2", "--tokens", "64", "--phase", "decode", "--json"],
        ["recommend"] + c + m + ["--gpu", "a100-80gb-sxm", "--rate", "1", "--prompt", "256", "--output", "64"]
          + ["--gpu-budget", "4"] + shortPlan + ["--json"],
      ]
    case .gpu:
      let g = ["--gpu", file.stem]
      lines = [
        ["gpus"] + l + ["--json"],
        ["gpus"] + l,
        ["estimate"] + c + ["--model", "llama-2-7b"] + g + ["--tp", "2"] + request + ["--rate", "2", "--json"],
        ["ops"] + c + ["--model", "llama-2-13b"] + g + ["--tokens", "512"],
        ["comm"] + c + ["--cluster", "dgx-a100"] + g + ["--collective", "all_reduce", "--gpus", "8"]
          + ["--bytes", "16 MB", "--json"],
        ["recommend"] + c + ["--model", "llama-2-7b"] + g + ["--rate", "2", "--prompt", "256", "--output", "64"]
          + ["--gpu-budget", "2"] + shortPlan + ["--json"],
      ]
    case .cluster:
      let k = ["--cluster", file.stem]
      lines = [
        ["clusters"] + l + ["--json"],
        ["comm"] + c + k + ["--collective", "all_reduce", "--gpus", "4", "--bytes", "64 MB", "--json"],
        ["comm"] + c + k + ["--collective", "send_recv", "--placement", "0,1", "--bytes", "1 MB"],
        ["estimate"] + c + ["--model", "llama-2-7b"] + k + ["--tp", "2", "--dp", "2"] + request + ["--rate", "4"],
        ["recommend"] + c + ["--model", "llama-2-7b"] + k + ["--rate", "2", "--prompt", "256", "--output", "64"]
          + ["--gpu-budget", "4"] + shortPlan + ["--json"],
      ]
    case .scenario:
      let s = ["--scenario", scenarioPath]
      // The short plan's flags override the scenario's durations: the mutated fields are still
      // read and checked, but a mutation that deletes `duration` (a 10-minute default) or
      // lengthens it is a slow plan, not a hang.
      lines = [["recommend"] + c + s + shortPlan + ["--json"]]
      // `simulate` needs the scenario's layout; without one it only says so.
      if file.text.contains("\nlayout:") { lines.append(["simulate"] + c + s + ["--json"]) }
    }
    return lines.map(Invocation.init)
  }
}
