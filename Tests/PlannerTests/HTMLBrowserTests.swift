import Foundation
import Reporting
import Testing

/// A headless Chromium, if one is installed (Debian's `chromium-headless-shell` or `chromium`;
/// `.ci/run` installs the first). `LLMPLAN_BROWSER` names another binary.
enum HeadlessBrowser {
  static let candidates = ["chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"]

  static let path: String? = {
    if let given = ProcessInfo.processInfo.environment["LLMPLAN_BROWSER"], !given.isEmpty { return given }
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    for name in candidates {
      for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
        return "\(directory)/\(name)"
      }
    }
    return nil
  }()

  /// CI sets LLMPLAN_REQUIRE_BROWSER=1: there a missing browser fails the test instead of skipping it.
  static let required = ProcessInfo.processInfo.environment["LLMPLAN_REQUIRE_BROWSER"] == "1"

  static var shouldRun: Bool {
    if path == nil, !required {
      print(
        "HTMLBrowserTests skipped: no headless Chromium on PATH (tried \(candidates.joined(separator: ", "))); "
          + "install Debian's chromium-headless-shell, or set LLMPLAN_REQUIRE_BROWSER=1 to make this a failure")
    }
    return path != nil || required
  }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  /// Runs the browser headless with `arguments`, killing it after `timeout` seconds. Chromium
  /// refuses to start as root with its sandbox on (the sandbox needs an unprivileged user), so
  /// `--no-sandbox` is added only when the tests run as root (as in CI containers).
  static func run(_ arguments: [String], profile: String, timeout: Double = 30) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try #require(path))
    process.arguments =
      ["--headless", "--disable-gpu", "--no-first-run", "--hide-scrollbars", "--user-data-dir=\(profile)"]
      + (geteuid() == 0 ? ["--no-sandbox"] : []) + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    killer.cancel()
    return Run(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// Width and height from a PNG's IHDR chunk (nil if the bytes are not a PNG).
  static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
    let bytes = [UInt8](data.prefix(24))
    guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
      bytes[12..<16] == [0x49, 0x48, 0x44, 0x52]  // "IHDR"
    else { return nil }
    func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (word(16), word(20))
  }
}

/// The default HTML report in a real browser: it lays out, its charts draw, nothing errs.
@Suite(.serialized) struct HTMLBrowserTests {
  /// Appended to a copy of the report: records page height, each chart's geometry and shape
  /// count, and any script error, into a `<pre id="llmplan-probe">` the DOM dump carries out.
  static let probeScript = """
    <script>
    (function () {
      var charts = [].map.call(document.querySelectorAll('svg.chart'), function (svg) {
        var box = svg.getBBox(), rect = svg.getBoundingClientRect();
        return { id: svg.id, bboxWidth: box.width, bboxHeight: box.height, width: rect.width, height: rect.height,
          marks: svg.querySelectorAll('g.data path, g.data rect, g.data circle').length,
          dataWidth: svg.querySelector('g.data') ? svg.querySelector('g.data').getBBox().width : 0 };
      });
      var out = { scrollHeight: document.documentElement.scrollHeight, charts: charts, errors: window.llmplanErrors || [] };
      var pre = document.createElement('pre');
      pre.id = 'llmplan-probe';
      pre.textContent = JSON.stringify(out);
      document.body.appendChild(pre);
    })();
    </script>
    """

  /// Catches script errors from the start of the page.
  static let errorTrap =
    "<script>window.llmplanErrors = []; window.addEventListener('error', function (e) { "
    + "window.llmplanErrors.push(String(e.message || e.type)); }, true);</script>"

  struct Probe: Decodable {
    struct Chart: Decodable {
      var id: String
      var bboxWidth: Double
      var bboxHeight: Double
      var width: Double
      var height: Double
      var marks: Int
      var dataWidth: Double
    }
    var scrollHeight: Double
    var charts: [Chart]
    var errors: [String]
  }

  @Test(.enabled(if: HeadlessBrowser.shouldRun, "no headless Chromium (see the printed reason)"))
  func defaultReportRendersInHeadlessChromium() throws {
    guard HeadlessBrowser.path != nil else {
      let tried = HeadlessBrowser.candidates.joined(separator: ", ")
      Issue.record(
        "LLMPLAN_REQUIRE_BROWSER=1 but no headless Chromium on PATH (tried \(tried)): apt-get install chromium-headless-shell"
      )
      return
    }
    let report = try HTMLFixtures.defaultReport.get()
    let pareto = try HTMLFixtures.defaultPareto.get()
    let html = PlanHTML.render(report, withParetoOf: pareto)
    let directory = try Fixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let reportPath = directory + "/default.html"
    try Data(html.utf8).write(to: URL(fileURLWithPath: reportPath))
    let clock = ContinuousClock()
    let start = clock.now
    let result = try Self.probe(html, name: "default", directory: directory)
    // A long document: many tables and five charts, far taller than one 900-pixel window.
    #expect(result.scrollHeight > 3 * 900, "page height \(result.scrollHeight)")
    Self.expectCharts(
      result,
      ["chart-memory", "chart-success", "chart-ttft"]
        + (report.plan.tensorParallelScaling.count >= 2 ? ["chart-tp"] : [])
        + (pareto.pareto.isEmpty ? [] : ["chart-pareto"]))

    // The fleet report of the hand-built FleetPlan fixture around the same plan: its four charts draw too.
    let fleet = try Self.probe(
      FleetHTML.render(HTMLFixtures.fleet(from: report.plan), command: "llmplan recommend", inputs: report.inputs),
      name: "fleet", directory: directory)
    Self.expectCharts(fleet, ["chart-cost", "chart-growth-gpus", "chart-growth-cost", "chart-pareto"])

    // The unmodified report as a picture of the window.
    let png = directory + "/default.png"
    let shot = try HeadlessBrowser.run(
      ["--window-size=1280,900", "--screenshot=\(png)", "file://" + reportPath], profile: directory + "/profile-png")
    #expect(shot.status == 0, "chromium exited \(shot.status): \(shot.stderr.suffix(2000))")
    let size = HeadlessBrowser.pngSize(try Data(contentsOf: URL(fileURLWithPath: png)))
    #expect(size?.width == 1280 && size?.height == 900, "PNG size \(String(describing: size))")
    print("HTMLBrowserTests: \(HeadlessBrowser.path!) rendered \(html.utf8.count) bytes in \(clock.now - start)")
  }
  /// Loads a probed copy of `html` (its CSP additionally allows inline scripts, still no
  /// network) with `--dump-dom`, checks the console stayed silent, and returns the probe.
  static func probe(_ html: String, name: String, directory: String) throws -> Probe {
    let csp = HTMLFragment.escape("default-src 'none'; ")
    #expect(html.contains(csp))
    var probed = html.replacingOccurrences(of: csp, with: csp + HTMLFragment.escape("script-src 'unsafe-inline'; "))
    probed = probed.replacingOccurrences(of: "<title>", with: Self.errorTrap + "\n<title>")
    probed = probed.replacingOccurrences(of: "</body>", with: Self.probeScript + "\n</body>")
    let probedPath = directory + "/\(name)-probed.html"
    try Data(probed.utf8).write(to: URL(fileURLWithPath: probedPath))
    let dump = try HeadlessBrowser.run(
      ["--enable-logging=stderr", "--v=0", "--window-size=1280,900", "--dump-dom", "file://" + probedPath],
      profile: directory + "/profile-\(name)")
    #expect(dump.status == 0, "\(name): chromium exited \(dump.status): \(dump.stderr.suffix(2000))")
    // Console messages (errors, CSP violations, failed loads) are logged as "…:CONSOLE…" lines.
    let console = dump.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
    #expect(console.isEmpty, "\(name): console messages: \(console.joined(separator: "\n"))")
    let marker = "<pre id=\"llmplan-probe\">"
    let probeText = try #require(
      dump.stdout.range(of: marker).flatMap { start in
        dump.stdout[start.upperBound...].range(of: "</pre>").map {
          String(dump.stdout[start.upperBound..<$0.lowerBound])
        }
      }, "\(name): the probe did not run: \(dump.stdout.prefix(500))")
    let json = probeText.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
      .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
    let result = try JSONDecoder().decode(Probe.self, from: Data(json.utf8))
    #expect(result.errors.isEmpty, "\(name): script errors: \(result.errors)")
    return result
  }

  /// The `expected` charts are in the rendered DOM, laid out at a readable size, with at
  /// least one line, marker or bar drawn inside their data group.
  static func expectCharts(_ result: Probe, _ expected: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(
      Set(result.charts.map(\.id)).isSuperset(of: expected), "charts: \(result.charts.map(\.id))",
      sourceLocation: sourceLocation)
    for chart in result.charts {
      #expect(
        chart.bboxWidth > 300 && chart.bboxHeight > 200, "\(chart.id): bbox \(chart.bboxWidth)×\(chart.bboxHeight)",
        sourceLocation: sourceLocation)
      #expect(
        chart.width > 300 && chart.height > 200, "\(chart.id): laid out \(chart.width)×\(chart.height)",
        sourceLocation: sourceLocation)
      #expect(
        chart.marks >= 1 && chart.dataWidth > 0, "\(chart.id): no line, marker or bar drawn",
        sourceLocation: sourceLocation)
    }
  }
}
