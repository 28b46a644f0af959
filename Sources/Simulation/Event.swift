/// What a timed event does.
enum EventKind: UInt8 {
  /// A micro-batch finished computing on a pipeline stage.
  case stageDone
  /// A micro-batch's activations reached the next stage over a private link.
  case transferDone
  /// Re-examine the transfers sharing links (carries a version; stale ones are skipped).
  case contentionCheck
}

/// One timed event. Ordered by time, ties broken by the sequence number assigned when it was
/// scheduled, so equal-time events run in the order they were created: deterministic.
struct Event: Comparable {
  var time: Double
  var sequence: UInt64
  var kind: EventKind
  var replica: Int32
  var slot: Int32
  var stage: Int32
  /// Contention-state version for `contentionCheck`.
  var version: UInt64

  @inline(__always)
  static func < (lhs: Event, rhs: Event) -> Bool {
    lhs.time < rhs.time || (lhs.time == rhs.time && lhs.sequence < rhs.sequence)
  }

  @inline(__always)
  static func == (lhs: Event, rhs: Event) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
}

/// Length of the overlap of [a, b) with [start, end), never negative.
@inline(__always)
func overlap(_ a: Double, _ b: Double, _ start: Double, _ end: Double) -> Double {
  let low = a > start ? a : start
  let high = b < end ? b : end
  return high > low ? high - low : 0
}
