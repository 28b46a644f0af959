import ArgumentParser
import Foundation
import Fuzzing
import PlanCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `llmplan fuzz`: mutates the shipped catalog and scenario files and checks that every command
/// reading them ends in a result or a clean one-line error: no trap, no hang, no ∞/NaN.
struct FuzzCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fuzz",
    abstract: "Mutate the shipped model, GPU, cluster and scenario files and check every command copes.",
    discussion: """
      Case K of --seed S takes one file from Models/ or Reports/ (examples and scenarios), applies one to \
      three mutations (deleted fields, changed types, extreme numbers, swapped units, misspelt keys, \
      repeated items, truncation, bit flips, duplicated lines, deep nesting, YAML alias bombs), and \
      runs the commands that read it (models/gpus/clusters, estimate, ops, comm, a short recommend, \
      simulate) in a worker process. Each must print a result with no ∞, NaN or absurd number, or stop \
      with one readable error line. A trap or a case past --case-seconds is caught by this process, \
      recorded with the case number, and the run resumes at the next case. Exit status 1 when any case \
      failed. Replay one case with --start K --cases 1 --show (in this process: a hang hangs it). Same seed, same \
      cases, on every machine. `swift test` runs seed 1 for 200 cases (FuzzTests); LLMPLAN_FUZZ_CASES=100000 \
      makes that test the long nightly run.
      """)

  @Option(help: "Seed of the mutations.") var seed: UInt64 = 1
  @Option(help: "Number of cases.") var cases: Int = 300
  @Option(help: "First case number.") var start: Int = 0
  @Option(help: "Worker processes run side by side (each takes a contiguous share of the cases).")
  var jobs: Int = 1
  @Option(help: "Repository root holding Models/ and Reports/ (default: found like the catalog).") var repo: String?
  @Option(help: "A case running longer than this many seconds is a hang.") var caseSeconds: Double = 20
  @Option(help: "Address space a worker may use, in GiB; more is an allocation failure (a crash).")
  var memoryLimitGib: Double = 4
  @Flag(help: "Print each case's mutated file and every command's output, running in this process.")
  var show = false
  @Flag(help: "Print only the summary.") var quiet = false
  @Flag(help: "Run every command on the unmutated files and print each outcome (a check of the set-up).")
  var baseline = false
  @Flag(help: .hidden) var worker = false
  @Option(help: .hidden) var workspace: String?
  /// Harness self-test: `crash:K`, `hang:K` or `nan:K` makes the worker trap, stall or print
  /// "nan" at case K instead of running it, so tests can check those are caught.
  @Option(help: .hidden) var inject: String?

  func validate() throws {
    guard cases >= 0, start >= 0 else { throw ValidationError("--cases and --start must not be negative") }
    guard jobs >= 1, jobs <= 256 else { throw ValidationError("--jobs must be in 1...256") }
    guard caseSeconds > 0, caseSeconds.isFinite else { throw ValidationError("--case-seconds must be positive") }
    guard memoryLimitGib >= 0.5, memoryLimitGib <= 1024 else {
      throw ValidationError("--memory-limit-gib must be in [0.5, 1024]")
    }
  }

  func run() throws {
    let root = try repositoryRoot()
    let corpus = try FuzzCorpus(root: root)
    if worker {
      var worker = try FuzzWorker(
        corpus: corpus, seed: seed, workspaceParent: workspace, memoryLimitGib: memoryLimitGib)
      worker.injection = try inject.map(FuzzWorker.Injection.init)
      try worker.run(start: start, count: cases)
      return
    }
    if baseline {
      try FuzzWorker(corpus: corpus, seed: seed, workspaceParent: nil, memoryLimitGib: nil).baseline()
      return
    }
    if show {
      try FuzzWorker(corpus: corpus, seed: seed, workspaceParent: nil, memoryLimitGib: nil)
        .show(start: start, count: cases)
      return
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("llmplan-fuzz-\(getpid())").path
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
    let quiet = self.quiet
    let supervisor = FuzzSupervisor(
      executable: executable,
      workerArguments: [
        "--repo", root, "--workspace", scratch, "--memory-limit-gib", "\(memoryLimitGib)",
      ] + (inject.map { ["--inject", $0] } ?? []),
      seed: seed, caseSeconds: caseSeconds,
      log: { line in if !quiet { FileHandle.standardError.write(Data((line + "\n").utf8)) } })
    let summary = try supervisor.run(start: start, count: cases, jobs: jobs)
    print(summary.rendered())
    if summary.failed > 0 { throw ExitCode(1) }
  }

  func repositoryRoot() throws -> String {
    if let repo { return repo }
    let catalog = try Catalog.locate()
    return URL(fileURLWithPath: catalog.root).deletingLastPathComponent().path
  }
}

/// Runs cases in this process: writes each mutated file into a scratch copy of the catalog (or
/// beside it, for scenarios), runs the case's commands as `llmplan` would, and classifies what
/// they print. Progress goes to the original stdout as tab-separated lines
/// (`CASE`, `RUN`, `BAD`, `END`) for `FuzzSupervisor`; the commands' own stdout is captured.
struct FuzzWorker {
  let corpus: FuzzCorpus
  let mutator: FuzzMutator
  let workspace: String
  let catalog: String
  /// A catalog holding only the case's file, for the listing commands.
  let listing: String
  let scenarios: String
  let capturePath: String
  var injection: Injection?

  /// A deliberate failure at one case (see `FuzzCommand.inject`).
  struct Injection {
    enum Kind: String { case crash, hang, nan }
    let kind: Kind
    let caseIndex: Int

    init(_ text: String) throws {
      let parts = text.split(separator: ":")
      guard parts.count == 2, let kind = Kind(rawValue: String(parts[0])), let index = Int(parts[1]) else {
        throw ValidationError("--inject takes crash:K, hang:K or nan:K")
      }
      self.kind = kind
      caseIndex = index
    }
  }

  init(corpus: FuzzCorpus, seed: UInt64, workspaceParent: String?, memoryLimitGib: Double?) throws {
    self.corpus = corpus
    mutator = FuzzMutator(corpus: corpus, seed: seed)
    let parent = workspaceParent ?? FileManager.default.temporaryDirectory.path
    workspace = parent + "/worker-\(getpid())"
    catalog = workspace + "/Models"
    listing = workspace + "/Listing"
    scenarios = workspace + "/scenarios"
    capturePath = workspace + "/stdout.txt"
    let fileManager = FileManager.default
    try? fileManager.removeItem(atPath: workspace)
    try fileManager.createDirectory(atPath: scenarios, withIntermediateDirectories: true)
    try fileManager.copyItem(atPath: corpus.root + "/Models", toPath: catalog)
    for kind in FuzzCorpus.Kind.allCases {
      if let folder = kind.catalogFolder {
        try fileManager.createDirectory(atPath: "\(listing)/\(folder)", withIntermediateDirectories: true)
      }
    }
    if let memoryLimitGib { Self.limitAddressSpace(bytes: memoryLimitGib * 1_073_741_824) }
    // Stray relative writes (a report path in a mutated scenario) land in the scratch folder.
    _ = fileManager.changeCurrentDirectoryPath(workspace)
  }

  /// Caps this process's address space so that a runaway allocation fails (and is reported as
  /// a crash) instead of exhausting the machine.
  static func limitAddressSpace(bytes: Double) {
    #if os(Linux)
      var limit = rlimit(rlim_cur: rlim_t(bytes), rlim_max: rlim_t(bytes))
      _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
    #endif
  }

  /// Where case files go: a catalog file under its own name, a scenario in the scratch folder.
  func path(of file: FuzzCorpus.File) -> String {
    if let folder = file.kind.catalogFolder { return "\(catalog)/\(folder)/\(file.fileName)" }
    return "\(scenarios)/\(file.fileName)"
  }

  func install(_ fuzzCase: FuzzCase) {
    let file = fuzzCase.file
    _ = FileManager.default.createFile(atPath: path(of: file), contents: Data(fuzzCase.bytes))
    if let folder = file.kind.catalogFolder {
      _ = FileManager.default.createFile(
        atPath: "\(listing)/\(folder)/\(file.fileName)", contents: Data(fuzzCase.bytes))
    }
  }

  func restore(_ file: FuzzCorpus.File) {
    if let folder = file.kind.catalogFolder {
      _ = FileManager.default.createFile(atPath: path(of: file), contents: Data(file.text.utf8))
      try? FileManager.default.removeItem(atPath: "\(listing)/\(folder)/\(file.fileName)")
    } else {
      try? FileManager.default.removeItem(atPath: path(of: file))
    }
  }

  func invocations(_ fuzzCase: FuzzCase) -> [FuzzPlan.Invocation] {
    FuzzPlan.invocations(
      for: fuzzCase.file, catalog: catalog, listing: listing, scenarioPath: path(of: fuzzCase.file))
  }

  func run(start: Int, count: Int) throws {
    let channel = dup(STDOUT_FILENO)
    func send(_ fields: [String]) {
      // The scratch folder's name changes with every worker: print it as $W.
      let line =
        fields.map {
          $0.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: workspace, with: "$W")
        }
        .joined(separator: "\t") + "\n"
      let bytes = Array(line.utf8)
      _ = bytes.withUnsafeBytes { write(channel, $0.baseAddress, $0.count) }
    }
    for index in start..<(start + count) {
      let fuzzCase = mutator.makeCase(index)
      send(["CASE", "\(index)", fuzzCase.file.relativePath, fuzzCase.mutations.joined(separator: " ; ")])
      var outcome = FuzzOutcome.result
      if let injection, injection.caseIndex == index {
        switch injection.kind {
        case .crash: fatalError("injected crash at case \(index)")
        case .hang: while true { sleep(1) }
        case .nan:
          send(["RUN", "\(index)", "injected"])
          if let problem = FuzzCheck.resultProblem("latency: nan s", isJSON: false) {
            send(["BAD", "\(index)", "injected", problem])
          }
          send(["END", "\(index)", FuzzOutcome.badOutput.rawValue])
          continue
        }
      }
      install(fuzzCase)
      for invocation in invocations(fuzzCase) {
        send(["RUN", "\(index)", invocation.commandLine])
        let ran = execute(invocation, input: fuzzCase.text)
        if let problem = ran.problem {
          send(["BAD", "\(index)", invocation.commandLine, problem])
          outcome = .badOutput
        } else if ran.error != nil, outcome == .result {
          outcome = .error
        }
      }
      restore(fuzzCase.file)
      send(["END", "\(index)", outcome.rawValue])
    }
    try? FileManager.default.removeItem(atPath: workspace)
  }

  /// `--show`: the case, its file and each command's output, in this process.
  func show(start: Int, count: Int) throws {
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    for index in start..<(start + count) {
      let fuzzCase = mutator.makeCase(index)
      print("== case \(index) (seed \(fuzzCase.seed)): \(fuzzCase.file.relativePath)")
      for mutation in fuzzCase.mutations { print("   - \(mutation)") }
      let text = fuzzCase.text
      print("-- mutated file (\(fuzzCase.bytes.count) bytes)" + (text.count > 4000 ? ", first 4000 characters:" : ":"))
      print(String(text.prefix(4000)))
      fflush(nil)  // the case is on screen (or in the log) before a command can hang or trap
      install(fuzzCase)
      for invocation in invocations(fuzzCase) {
        print("-- \(invocation.commandLine)")
        fflush(nil)
        let ran = execute(invocation, input: fuzzCase.text)
        let output = ran.output.count > 4000 ? String(ran.output.prefix(4000)) + "\n…" : ran.output
        if !output.isEmpty { print(output, terminator: output.hasSuffix("\n") ? "" : "\n") }
        if let error = ran.error { print("Error: \(error)") }
        print("=> " + (ran.problem.map { "FAIL: \($0)" } ?? (ran.error == nil ? "result" : "clean error")))
      }
      restore(fuzzCase.file)
    }
  }

  /// `--baseline`: each unmutated file's commands, one line each.
  func baseline() throws {
    defer { try? FileManager.default.removeItem(atPath: workspace) }
    for fileIndex in corpus.files.indices {
      let fuzzCase = mutator.baseCase(fileIndex)
      install(fuzzCase)
      for invocation in invocations(fuzzCase) {
        let began = Date()
        let ran = execute(invocation, input: fuzzCase.text)
        let verdict = ran.problem.map { "FAIL \($0)" } ?? ran.error.map { "error: \($0)" } ?? "result"
        print(
          String(format: "%5.2f s  ", Date().timeIntervalSince(began)) + fuzzCase.file.relativePath + "  "
            + invocation.arguments[0] + "  " + verdict.replacingOccurrences(of: workspace, with: "$W"))
      }
      restore(fuzzCase.file)
    }
  }

  /// One command's stdout, its error message if it failed, and the fuzzer's verdict.
  struct Ran {
    var output: String
    var error: String?
    var problem: String?
  }

  /// Runs `llmplan ARGS` in this process with stdout captured, as `main` would (the error is
  /// the message ArgumentParser prints after "Error: ").
  func execute(_ invocation: FuzzPlan.Invocation, input: String) -> Ran {
    fflush(nil)
    let saved = dup(STDOUT_FILENO)
    let capture = open(capturePath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    dup2(capture, STDOUT_FILENO)
    close(capture)
    var message: String?
    do {
      var command = try LLMPlan.parseAsRoot(invocation.arguments)
      try command.run()
    } catch let exit as ExitCode where LLMPlanExit.verdicts.contains(exit.rawValue) {
      // recommend's "no feasible layout" / "no layout meets the SLO": a complete result, then
      // the verdict as the exit status. The printed result is checked like any other.
      _ = exit
    } catch {
      if LLMPlan.exitCode(for: error) != .success { message = LLMPlan.message(for: error) }
    }
    fflush(nil)
    dup2(saved, STDOUT_FILENO)
    close(saved)
    let output = String(decoding: FileManager.default.contents(atPath: capturePath) ?? Data(), as: UTF8.self)
    var problem: String?
    if let message {
      problem = FuzzCheck.errorProblem(message).map { "\($0): \(message.prefix(300))" }
    } else {
      problem = FuzzCheck.resultProblem(output, isJSON: invocation.isJSON, input: input)
    }
    // A failing command may have printed part of a result first: that part must be finite too.
    if problem == nil, message != nil, let token = FuzzCheck.nonFiniteToken(output, echoedFrom: input) {
      problem = "non-finite value \"\(token)\" printed before the error"
    }
    return Ran(output: output, error: message, problem: problem)
  }
}
