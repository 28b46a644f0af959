import Testing

@testable import Analytic
@testable import Reporting

/// Report cells with error bands: same unit for the value and its band, as "182 ms (160–205)".
@Suite struct BandCellTests {
  @Test func bandFollowsTheValueInItsUnit() {
    #expect(Cell.time(0.182, band: (0.160, 0.205)) == "182 ms (160–205)")
    #expect(Cell.time(0.182) == "182 ms")
    #expect(Cell.time(nil, band: (0.1, 0.2)) == Cell.missing)
  }

  /// A time under load takes the relative spread of the no-queue band: (p10/x − 1, p90/x − 1).
  @Test func relativeBandScalesWithTheValue() {
    let noQueue = TimeBand(seconds: 0.1, p10Seconds: 0.08, p50Seconds: 0.1, p90Seconds: 0.15)
    // 200 ms under load → 200·0.8 = 160 ms and 200·1.5 = 300 ms.
    #expect(Cell.time(0.2, relativeTo: noQueue) == "200 ms (160–300)")
  }
}
