/// A chart drawn as inline SVG: a numeric or categorical x axis, a linear or log y axis, line,
/// scatter and (grouped or stacked) bar series, reference lines, a legend, and an accessible
/// `<title>`/`<desc>`. Pure data in, the same bytes out: coordinates print with one decimal.
///
/// A point whose y is nil (no value: an unstable layout has no steady-state TTFT) is never
/// averaged over or drawn as a number: the line breaks there and a "×" marks the gap just above
/// the plot (at the base for bars), with the chart's `gapLabel` in the legend.
public struct SVGChart: Sendable {
  public enum XAxis: Sendable {
    case numeric(ChartAxis)
    case categories(label: String, names: [String])
  }

  public struct Point: Sendable, Hashable {
    /// A value on a numeric axis, or the category's index on a categorical one.
    public var x: Double
    public var y: Double?
    /// Shown when hovering (an SVG `<title>`), e.g. "TP2·PP1·DP2: 4.1 req/s".
    public var note: String?

    public init(x: Double, y: Double?, note: String? = nil) {
      self.x = x
      self.y = y
      self.note = note
    }
  }

  public enum Kind: Sendable { case line, scatter, bars }
  public enum Marker: Sendable { case none, dot, ring }

  public struct Series: Sendable {
    public var name: String
    public var kind: Kind
    public var points: [Point]
    /// Index into the palette.
    public var color: Int
    public var dashed: Bool
    public var marker: Marker

    public init(
      name: String, kind: Kind, points: [Point], color: Int, dashed: Bool = false, marker: Marker? = nil
    ) {
      self.name = name
      self.kind = kind
      self.points = points
      self.color = color
      self.dashed = dashed
      self.marker = marker ?? (kind == .bars ? .none : .dot)
    }
  }

  /// A horizontal (at a y value) or vertical (at an x value) dashed line with a label.
  public struct ReferenceLine: Sendable {
    public enum Orientation: Sendable { case horizontal, vertical }
    public var orientation: Orientation
    public var value: Double
    public var label: String

    public init(_ orientation: Orientation, at value: Double, label: String) {
      self.orientation = orientation
      self.value = value
      self.label = label
    }
  }

  /// Colour-blind-safe palette (Okabe & Ito, "Color Universal Design", 2008,
  /// https://jfly.uni-koeln.de/color/), without its yellow, which is unreadable on white.
  public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
  static let referenceColor = "#555555"

  /// Unique within the document: the ids of `<title>` and `<desc>` derive from it.
  public var id: String
  public var title: String
  /// One or two sentences for screen readers: what is plotted and what it shows.
  public var description: String
  public var x: XAxis
  public var y: ChartAxis
  public var series: [Series]
  public var referenceLines: [ReferenceLine]
  /// Bar series stack on each other (in series order) instead of standing side by side.
  public var stacked: Bool
  public var gapLabel: String
  public var width: Double = 720
  public var plotHeight: Double = 300

  public init(
    id: String, title: String, description: String, x: XAxis, y: ChartAxis, series: [Series],
    referenceLines: [ReferenceLine] = [], stacked: Bool = false, gapLabel: String = "no value"
  ) {
    self.id = id
    self.title = title
    self.description = description
    self.x = x
    self.y = y
    self.series = series
    self.referenceLines = referenceLines
    self.stacked = stacked
    self.gapLabel = gapLabel
  }

  // MARK: Geometry

  static let marginLeft = 70.0
  static let marginRight = 24.0
  static let marginTop = 14.0
  /// Height of one row of "×" marks above the plot (one row per line or scatter series with gaps).
  static let gapRow = 11.0
  /// Tick labels and the x-axis label under the plot.
  static let axisBand = 48.0
  static let legendRow = 20.0

  public var plotLeft: Double { Self.marginLeft }
  public var plotRight: Double { width - Self.marginRight }
  public var plotTop: Double { Self.marginTop + Double(gapRows.count) * Self.gapRow }
  public var plotBottom: Double { plotTop + plotHeight }

  /// The line and scatter series with missing values, in order: each gets its own row of
  /// "×" marks above the plot, so that marks at the same rate do not hide each other.
  var gapRows: [Int] {
    series.indices.filter { index in
      series[index].kind != .bars && series[index].points.contains { $0.y.map { !$0.isFinite } ?? true }
    }
  }

  /// The horizontal position of `x` (a category index on a categorical axis: its centre).
  public func px(_ value: Double) -> Double? {
    switch x {
    case .numeric(let axis):
      return axis.fraction(value).map { plotLeft + $0 * (plotRight - plotLeft) }
    case .categories(_, let names):
      guard value.isFinite, !names.isEmpty else { return nil }
      return plotLeft + (value + 0.5) / Double(names.count) * (plotRight - plotLeft)
    }
  }

  /// The vertical position of `y`.
  public func py(_ value: Double) -> Double? {
    y.fraction(value).map { plotBottom - $0 * (plotBottom - plotTop) }
  }

  var hasGaps: Bool { series.contains { $0.points.contains { $0.y.map { !$0.isFinite } ?? true } } }

  /// Legend entries laid out in rows across the width: (series index or nil for the gap
  /// marker, x offset, row).
  var legendLayout: [(entry: Int?, x: Double, row: Int)] {
    var entries: [Int?] = Array(series.indices)
    if hasGaps { entries.append(nil) }
    var layout: [(Int?, Double, Int)] = []
    var cursor = plotLeft
    var row = 0
    for entry in entries {
      let text = entry.map { series[$0].name } ?? gapLabel
      let itemWidth = 28 + 6.6 * Double(text.count) + 18
      if cursor > plotLeft, cursor + itemWidth > plotRight {
        row += 1
        cursor = plotLeft
      }
      layout.append((entry, cursor, row))
      cursor += itemWidth
    }
    return layout
  }

  public var height: Double {
    let rows = (legendLayout.map(\.row).max() ?? -1) + 1
    return plotBottom + Self.axisBand + Double(rows) * Self.legendRow + 6
  }

  // MARK: Rendering

  static func f(_ value: Double) -> String { SVGNumber.fixed(value, decimals: 1) }

  public var svg: String {
    var out: [String] = []
    let titleID = "\(id)-title"
    let descID = "\(id)-desc"
    out.append(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"\(HTMLFragment.escape(id))\" "
        + "viewBox=\"0 0 \(Self.f(width)) \(Self.f(height))\" width=\"\(Self.f(width))\" height=\"\(Self.f(height))\" "
        + "role=\"img\" aria-labelledby=\"\(HTMLFragment.escape(titleID)) \(HTMLFragment.escape(descID))\">")
    out.append("<title id=\"\(HTMLFragment.escape(titleID))\">\(HTMLFragment.escape(title))</title>")
    out.append("<desc id=\"\(HTMLFragment.escape(descID))\">\(HTMLFragment.escape(description))</desc>")
    out.append(
      "<rect class=\"plot\" x=\"\(Self.f(plotLeft))\" y=\"\(Self.f(plotTop))\" width=\"\(Self.f(plotRight - plotLeft))\" "
        + "height=\"\(Self.f(plotHeight))\" fill=\"#fafafa\" stroke=\"#cccccc\"/>")
    out += yAxis() + xAxis()
    out += ["<g class=\"data\">"] + bars() + lines() + ["</g>"]
    out += references() + gaps()
    out += ["<g class=\"key\">"] + legend() + ["</g>"]
    out.append("</svg>")
    return out.joined(separator: "\n")
  }

  func yAxis() -> [String] {
    var out: [String] = []
    for tick in y.ticks {
      guard let yy = py(tick) else { continue }
      out.append(
        "<line x1=\"\(Self.f(plotLeft))\" y1=\"\(Self.f(yy))\" x2=\"\(Self.f(plotRight))\" y2=\"\(Self.f(yy))\" "
          + "stroke=\"#e3e3e3\"/>")
      out.append(
        "<text x=\"\(Self.f(plotLeft - 6))\" y=\"\(Self.f(yy + 4))\" text-anchor=\"end\" class=\"tick\">"
          + "\(HTMLFragment.escape(y.tickLabel(tick)))</text>")
    }
    let middle = (plotTop + plotBottom) / 2
    out.append(
      "<text x=\"14\" y=\"\(Self.f(middle))\" transform=\"rotate(-90 14 \(Self.f(middle)))\" text-anchor=\"middle\" "
        + "class=\"axis-label\">\(HTMLFragment.escape(y.label))</text>")
    return out
  }

  func xAxis() -> [String] {
    var out: [String] = []
    let label: String
    switch x {
    case .numeric(let axis):
      label = axis.label
      for tick in axis.ticks {
        guard let xx = px(tick) else { continue }
        out.append(
          "<line x1=\"\(Self.f(xx))\" y1=\"\(Self.f(plotTop))\" x2=\"\(Self.f(xx))\" y2=\"\(Self.f(plotBottom))\" "
            + "stroke=\"#eeeeee\"/>")
        out.append(
          "<text x=\"\(Self.f(xx))\" y=\"\(Self.f(plotBottom + 16))\" text-anchor=\"middle\" class=\"tick\">"
            + "\(HTMLFragment.escape(axis.tickLabel(tick)))</text>")
      }
    case .categories(let name, let names):
      label = name
      for (index, category) in names.enumerated() {
        guard let xx = px(Double(index)) else { continue }
        out.append(
          "<text x=\"\(Self.f(xx))\" y=\"\(Self.f(plotBottom + 16))\" text-anchor=\"middle\" class=\"tick\">"
            + "\(HTMLFragment.escape(category))</text>")
      }
    }
    out.append(
      "<line x1=\"\(Self.f(plotLeft))\" y1=\"\(Self.f(plotBottom))\" x2=\"\(Self.f(plotRight))\" "
        + "y2=\"\(Self.f(plotBottom))\" stroke=\"#333333\"/>")
    out.append(
      "<text x=\"\(Self.f((plotLeft + plotRight) / 2))\" y=\"\(Self.f(plotBottom + 38))\" text-anchor=\"middle\" "
        + "class=\"axis-label\">\(HTMLFragment.escape(label))</text>")
    return out
  }

  /// Width of one category's slot, in SVG units (bars take 70 % of it).
  var categoryWidth: Double {
    switch x {
    case .categories(_, let names): return (plotRight - plotLeft) / Double(max(names.count, 1))
    case .numeric: return (plotRight - plotLeft) / 12
    }
  }

  func bars() -> [String] {
    let barSeries = series.indices.filter { series[$0].kind == .bars }
    guard !barSeries.isEmpty, let base = py(y.domain.lowerBound) else { return [] }
    var out: [String] = []
    let slot = min(0.7 * categoryWidth, 140)
    var stackTop: [Double: Double] = [:]
    for (position, index) in barSeries.enumerated() {
      let s = series[index]
      let barWidth = stacked ? slot : slot / Double(barSeries.count)
      for point in s.points {
        guard let centre = px(point.x), let value = point.y, value.isFinite else { continue }
        let left = stacked ? centre - slot / 2 : centre - slot / 2 + Double(position) * barWidth
        let bottomValue = stacked ? stackTop[point.x, default: y.domain.lowerBound] : y.domain.lowerBound
        let topValue = stacked ? bottomValue + value : value
        if stacked { stackTop[point.x] = topValue }
        guard let top = py(topValue), let bottom = stacked ? py(bottomValue) : base else { continue }
        let note = point.note.map { "<title>\(HTMLFragment.escape($0))</title>" } ?? ""
        out.append(
          "<rect x=\"\(Self.f(left))\" y=\"\(Self.f(min(top, bottom)))\" width=\"\(Self.f(barWidth))\" "
            + "height=\"\(Self.f(abs(bottom - top)))\" fill=\"\(color(s))\">\(note)</rect>")
      }
    }
    return out
  }

  func color(_ s: Series) -> String {
    Self.palette[((s.color % Self.palette.count) + Self.palette.count) % Self.palette.count]
  }

  func lines() -> [String] {
    var out: [String] = []
    for s in series where s.kind != .bars {
      if s.kind == .line {
        var path = ""
        var penDown = false
        for point in s.points {
          guard let xx = px(point.x), let value = point.y, let yy = py(value) else {
            penDown = false
            continue
          }
          path += (path.isEmpty ? "" : " ") + (penDown ? "L" : "M") + "\(Self.f(xx)) \(Self.f(yy))"
          penDown = true
        }
        if !path.isEmpty {
          out.append(
            "<path d=\"\(path)\" fill=\"none\" stroke=\"\(color(s))\" stroke-width=\"2\""
              + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>")
        }
      }
      for point in s.points {
        guard let xx = px(point.x), let value = point.y, let yy = py(value) else { continue }
        let note = point.note.map { "<title>\(HTMLFragment.escape($0))</title>" } ?? ""
        switch s.marker {
        case .none: continue
        case .dot:
          out.append(
            "<circle cx=\"\(Self.f(xx))\" cy=\"\(Self.f(yy))\" r=\"3.5\" fill=\"\(color(s))\">\(note)</circle>")
        case .ring:
          out.append(
            "<circle cx=\"\(Self.f(xx))\" cy=\"\(Self.f(yy))\" r=\"8\" fill=\"none\" stroke=\"\(color(s))\" "
              + "stroke-width=\"2.5\">\(note)</circle>")
        }
      }
    }
    return out
  }

  func references() -> [String] {
    var out: [String] = []
    for line in referenceLines {
      switch line.orientation {
      case .horizontal:
        guard let yy = py(line.value), yy >= plotTop - 0.05, yy <= plotBottom + 0.05 else { continue }
        out.append(
          "<line x1=\"\(Self.f(plotLeft))\" y1=\"\(Self.f(yy))\" x2=\"\(Self.f(plotRight))\" y2=\"\(Self.f(yy))\" "
            + "stroke=\"\(Self.referenceColor)\" stroke-dasharray=\"3 3\"/>")
        out.append(
          "<text x=\"\(Self.f(plotRight - 4))\" y=\"\(Self.f(yy - 4))\" text-anchor=\"end\" class=\"ref\">"
            + "\(HTMLFragment.escape(line.label))</text>")
      case .vertical:
        guard let xx = px(line.value), xx >= plotLeft - 0.05, xx <= plotRight + 0.05 else { continue }
        out.append(
          "<line x1=\"\(Self.f(xx))\" y1=\"\(Self.f(plotTop))\" x2=\"\(Self.f(xx))\" y2=\"\(Self.f(plotBottom))\" "
            + "stroke=\"\(Self.referenceColor)\" stroke-dasharray=\"3 3\"/>")
        out.append(
          "<text x=\"\(Self.f(xx + 4))\" y=\"\(Self.f(plotBottom - 6))\" class=\"ref\">"
            + "\(HTMLFragment.escape(line.label))</text>")
      }
    }
    return out
  }

  /// "×" just above the plot (on the base for bars) where a point has no value, clear of the data.
  func gaps() -> [String] {
    var out: [String] = []
    let rows = gapRows
    for (index, s) in series.enumerated() {
      for point in s.points where point.y.map({ !$0.isFinite }) ?? true {
        guard let xx = px(point.x) else { continue }
        let row = Double(rows.firstIndex(of: index) ?? 0)
        let yy = s.kind == .bars ? plotBottom - 6 : plotTop - 6 - row * Self.gapRow
        let note = HTMLFragment.escape("\(s.name): \(point.note ?? gapLabel)")
        out.append(gapMark(x: xx, y: yy, color: color(s), note: note))
      }
    }
    return out
  }

  func gapMark(x: Double, y: Double, color: String, note: String?) -> String {
    let d = 4.0
    return "<path class=\"gap\" d=\"M\(Self.f(x - d)) \(Self.f(y - d)) L\(Self.f(x + d)) \(Self.f(y + d)) "
      + "M\(Self.f(x - d)) \(Self.f(y + d)) L\(Self.f(x + d)) \(Self.f(y - d))\" stroke=\"\(color)\" "
      + "stroke-width=\"2\">" + (note.map { "<title>\($0)</title>" } ?? "") + "</path>"
  }

  func legend() -> [String] {
    var out: [String] = []
    let top = plotBottom + Self.axisBand
    for item in legendLayout {
      let yy = top + Double(item.row) * Self.legendRow + 8
      let xx = item.x
      let text: String
      if let index = item.entry {
        let s = series[index]
        text = s.name
        switch s.kind {
        case .bars:
          out.append(
            "<rect x=\"\(Self.f(xx))\" y=\"\(Self.f(yy - 6))\" width=\"20\" height=\"12\" fill=\"\(color(s))\"/>")
        case .line:
          out.append(
            "<line x1=\"\(Self.f(xx))\" y1=\"\(Self.f(yy))\" x2=\"\(Self.f(xx + 20))\" y2=\"\(Self.f(yy))\" "
              + "stroke=\"\(color(s))\" stroke-width=\"2\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>")
        case .scatter:
          out.append(
            s.marker == .ring
              ? "<circle cx=\"\(Self.f(xx + 10))\" cy=\"\(Self.f(yy))\" r=\"6\" fill=\"none\" stroke=\"\(color(s))\" "
                + "stroke-width=\"2.5\"/>"
              : "<circle cx=\"\(Self.f(xx + 10))\" cy=\"\(Self.f(yy))\" r=\"4\" fill=\"\(color(s))\"/>")
        }
      } else {
        text = gapLabel
        out.append(gapMark(x: xx + 10, y: yy, color: Self.referenceColor, note: nil))
      }
      out.append(
        "<text x=\"\(Self.f(xx + 26))\" y=\"\(Self.f(yy + 4))\" class=\"legend\">\(HTMLFragment.escape(text))</text>")
    }
    return out
  }

  /// The chart in a `<figure>` with a visible caption.
  public func figure(caption: String) -> HTMLFragment {
    .element(
      "figure", ["class": "chart-figure"],
      [
        HTMLFragment(raw: svg),
        .element("figcaption", [HTMLFragment.element("strong", text: title), HTMLFragment(text: " " + caption)]),
      ])
  }
}
