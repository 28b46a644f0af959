import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs cases in a worker process (`llmplan fuzz --worker`) and watches it from outside,
/// because a trap or an allocation failure cannot be caught inside the process that has it.
/// The worker announces each case and command on its stdout; when it dies, the case it was
/// running is recorded as a crash (with the runtime's message and the first `Sources/` frame
/// of its backtrace), and when a case runs past `caseSeconds` it is killed and recorded as a
/// hang. Either way a new worker resumes at the next case, so one run counts every failure.
public struct FuzzSupervisor: Sendable {
  public var executable: String
  /// Arguments after `fuzz --worker --seed S --start K --cases N` (e.g. `--repo DIR`).
  public var workerArguments: [String]
  public var seed: UInt64
  public var caseSeconds: Double
  /// Called with each line of progress (failures as they happen).
  public var log: @Sendable (String) -> Void

  public init(
    executable: String, workerArguments: [String], seed: UInt64, caseSeconds: Double,
    log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.executable = executable
    self.workerArguments = workerArguments
    self.seed = seed
    self.caseSeconds = caseSeconds
    self.log = log
  }

  /// Runs cases `start..<start+count` split into `jobs` contiguous shares, one worker each at a
  /// time (workers are independent processes, so shares run on separate cores).
  public func run(start: Int, count: Int, jobs: Int) throws -> FuzzSummary {
    let jobs = max(1, min(jobs, count))
    guard jobs > 1 else { return try run(start: start, count: count) }
    let began = Date()
    let results = SummaryBox()
    let group = DispatchGroup()
    for job in 0..<jobs {
      let first = start + count * job / jobs
      let next = start + count * (job + 1) / jobs
      group.enter()
      Thread {
        results.add(Result { try self.run(start: first, count: next - first) })
        group.leave()
      }.start()
    }
    group.wait()
    var summary = FuzzSummary(seed: seed, start: start, requested: count)
    for result in results.all {
      let part = try result.get()
      for (outcome, n) in part.counts { summary.counts[outcome, default: 0] += n }
      summary.failures += part.failures
    }
    summary.failures.sort { $0.caseIndex < $1.caseIndex }
    summary.seconds = Date().timeIntervalSince(began)
    return summary
  }

  public func run(start: Int, count: Int) throws -> FuzzSummary {
    var summary = FuzzSummary(seed: seed, start: start, requested: count)
    let began = Date()
    var next = start
    let end = start + count
    while next < end {
      next = try runWorker(from: next, to: end, summary: &summary)
    }
    summary.seconds = Date().timeIntervalSince(began)
    return summary
  }

  /// One worker's life: returns the next case to run.
  private func runWorker(from first: Int, to end: Int, summary: inout FuzzSummary) throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments =
      ["fuzz", "--worker", "--seed", "\(seed)", "--start", "\(first)", "--cases", "\(end - first)"] + workerArguments
    var environment = ProcessInfo.processInfo.environment
    // The runtime's crash report with source lines, without waiting for a debugger.
    environment["SWIFT_BACKTRACE"] = environment["SWIFT_BACKTRACE"] ?? "enable=yes,interactive=no,color=no"
    process.environment = environment
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()

    let lines = LineQueue()
    let errors = TailBuffer(limit: 64 * 1024)
    let outReader = Thread {
      var pending = Data()
      while true {
        let chunk = out.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        pending.append(chunk)
        while let newline = pending.firstIndex(of: 10) {
          lines.push(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
          pending.removeSubrange(pending.startIndex...newline)
        }
      }
      lines.close()
    }
    let errDone = DispatchSemaphore(value: 0)
    let errReader = Thread {
      while true {
        let chunk = err.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        errors.append(chunk)
      }
      errDone.signal()
    }
    outReader.start()
    errReader.start()

    var current: (index: Int, file: String, mutations: [String], started: Date)?
    var command: String?
    var resumeAt = end
    var caseBad: [FuzzFailure] = []
    loop: while true {
      let deadline = current.map { $0.started.addingTimeInterval(caseSeconds) } ?? Date().addingTimeInterval(600)
      switch lines.pop(until: deadline) {
      case .line(let line):
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let tag = fields.first, fields.count >= 2, let index = Int(fields[1]) else { continue }
        switch tag {
        case "CASE":
          current = (
            index, fields.count > 2 ? fields[2] : "?",
            fields.count > 3 ? fields[3].components(separatedBy: " ; ") : [], Date()
          )
          command = nil
          caseBad = []
          errors.mark()
        case "RUN":
          command = fields.count > 2 ? fields[2] : nil
        case "BAD":
          if let c = current {
            caseBad.append(
              FuzzFailure(
                caseIndex: index, outcome: .badOutput, file: c.file, mutations: c.mutations,
                command: fields.count > 2 ? fields[2] : command, detail: fields.count > 3 ? fields[3] : "?",
                location: nil))
          }
        case "END":
          let outcome = FuzzOutcome(rawValue: fields.count > 2 ? fields[2] : "") ?? .badOutput
          summary.counts[outcome, default: 0] += 1
          for failure in caseBad { record(failure, into: &summary) }
          current = nil
          command = nil
          caseBad = []
        default: continue
        }
      case .closed:
        process.waitUntilExit()
        // The crash report (the backtracer may take seconds to symbolicate) ends with stderr.
        _ = errDone.wait(timeout: .now() + 30)
        if let c = current {
          let status = process.terminationStatus
          let how =
            process.terminationReason == .uncaughtSignal ? "killed by signal \(status)" : "exited with status \(status)"
          let report = errors.sinceMark()
          let (message, location) = Self.crashReport(report)
          record(
            FuzzFailure(
              caseIndex: c.index, outcome: .crash, file: c.file, mutations: c.mutations, command: command,
              detail: "\(how)" + (message.map { ": \($0)" } ?? ""), location: location),
            into: &summary)
          summary.counts[.crash, default: 0] += 1
          resumeAt = c.index + 1
        } else if process.terminationStatus != 0 {
          throw FuzzError(
            "the fuzz worker stopped (status \(process.terminationStatus)): "
              + String(decoding: errors.sinceStart().suffix(2000), as: UTF8.self))
        }
        break loop
      case .timedOut:
        guard let c = current else { continue }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        record(
          FuzzFailure(
            caseIndex: c.index, outcome: .hang, file: c.file, mutations: c.mutations, command: command,
            detail: String(format: "still running after %.0f s", caseSeconds), location: nil),
          into: &summary)
        summary.counts[.hang, default: 0] += 1
        resumeAt = c.index + 1
        // Let the reader see the pipe close before the next worker starts.
        while case .line = lines.pop(until: Date().addingTimeInterval(5)) {}
        break loop
      }
    }
    return resumeAt
  }

  private func record(_ failure: FuzzFailure, into summary: inout FuzzSummary) {
    summary.failures.append(failure)
    log(
      "FAIL case \(failure.caseIndex) [\(failure.outcome.rawValue)] \(failure.file): \(failure.detail)"
        + (failure.location.map { " at \($0)" } ?? "") + (failure.command.map { "\n  command: \($0)" } ?? ""))
  }

  /// The runtime's one-line reason ("Fatal error: …", "💣 Program crashed: …") and the first
  /// frame in the package's sources, from a crash report on stderr.
  static func crashReport(_ data: Data) -> (message: String?, location: String?) {
    let text = String(decoding: data, as: UTF8.self)
    let lines = text.split(separator: "\n").map(String.init)
    let message = lines.first { $0.contains("Fatal error") || $0.contains("Program crashed") || $0.contains("error:") }
      .map { String($0.trimmingCharacters(in: .whitespaces).prefix(400)) }
    var location: String?
    if let regex = try? NSRegularExpression(pattern: "Sources/[A-Za-z0-9_]+/[A-Za-z0-9_+]+\\.swift:[0-9]+") {
      for line in lines where !line.contains("Sources/Fuzzing/") && !line.contains("FuzzCommand.swift") {
        let range = NSRange(line.startIndex..., in: line)
        if let match = regex.firstMatch(in: line, range: range), let found = Range(match.range, in: line) {
          location = String(line[found])
          break
        }
      }
    }
    return (message, location)
  }
}

/// The summaries of parallel shares.
private final class SummaryBox: @unchecked Sendable {
  private let lock = NSLock()
  private var results: [Result<FuzzSummary, Error>] = []
  func add(_ result: Result<FuzzSummary, Error>) {
    lock.lock()
    results.append(result)
    lock.unlock()
  }
  var all: [Result<FuzzSummary, Error>] {
    lock.lock()
    defer { lock.unlock() }
    return results
  }
}

/// Lines from the worker, handed from the reader thread to the supervisor with a timeout.
private final class LineQueue: @unchecked Sendable {
  enum Item {
    case line(String)
    case closed
    case timedOut
  }
  private let condition = NSCondition()
  private var lines: [String] = []
  private var isClosed = false

  func push(_ line: String) {
    condition.lock()
    lines.append(line)
    condition.signal()
    condition.unlock()
  }

  func close() {
    condition.lock()
    isClosed = true
    condition.signal()
    condition.unlock()
  }

  func pop(until deadline: Date) -> Item {
    condition.lock()
    defer { condition.unlock() }
    while lines.isEmpty && !isClosed {
      if !condition.wait(until: deadline) { return lines.isEmpty && !isClosed ? .timedOut : next() }
    }
    return next()
  }

  private func next() -> Item {
    if !lines.isEmpty { return .line(lines.removeFirst()) }
    return .closed
  }
}

/// The last bytes of the worker's stderr, with a mark at the start of the current case.
private final class TailBuffer: @unchecked Sendable {
  private let lock = NSLock()
  private var data = Data()
  private var markOffset = 0
  private let limit: Int

  init(limit: Int) { self.limit = limit }

  func append(_ chunk: Data) {
    lock.lock()
    data.append(chunk)
    if data.count > limit {
      let drop = data.count - limit
      data.removeFirst(drop)
      markOffset = max(0, markOffset - drop)
    }
    lock.unlock()
  }

  func mark() {
    lock.lock()
    markOffset = data.count
    lock.unlock()
  }

  func sinceMark() -> Data {
    lock.lock()
    defer { lock.unlock() }
    return data.suffix(from: data.startIndex + min(markOffset, data.count))
  }

  func sinceStart() -> Data {
    lock.lock()
    defer { lock.unlock() }
    return data
  }
}
