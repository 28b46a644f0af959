import Testing

@testable import PlanCore

@Suite struct UnitsTests {
  @Test func bandwidthInBitsAndBytes() throws {
    // 600 Gbit/s = 600e9 bit/s ÷ 8 bit/B = 75e9 B/s.
    #expect(try Units.bytesPerSecond("600 Gbit/s") == 75e9)
    #expect(try Units.bytesPerSecond("300 GB/s") == 300e9)
    // "Gbps" is the networking spelling of Gbit/s: 200 Gbit/s HDR InfiniBand = 25e9 B/s.
    #expect(try Units.bytesPerSecond("200 Gbps") == 25e9)
    #expect(try Units.bytesPerSecond("3.35 TB/s") == 3.35e12)
    // Binary prefix: 1 GiB/s = 2^30 B/s.
    #expect(try Units.bytesPerSecond("1 GiB/s") == 1_073_741_824)
  }

  @Test func sizes() throws {
    // 40 GiB = 40 × 2^30 B = 42,949,672,960 B; 80 GB = 80e9 B (decimal, as datasheets count).
    #expect(try Units.bytes("40 GiB") == 42_949_672_960)
    #expect(try Units.bytes("80 GB") == 80e9)
    #expect(try Units.bytes("2.4 MB") == 2.4e6)
    #expect(try Units.bytes("1024") == 1024)
  }

  @Test func times() throws {
    #expect(try Units.seconds("2 us") == 2e-6)
    #expect(try Units.seconds("2 µs") == 2e-6)
    #expect(try Units.seconds("1 ms") == 1e-3)
    #expect(try Units.seconds("0.5") == 0.5)
  }

  @Test func computeRatesAndCounts() throws {
    #expect(try Units.flopsPerSecond("312 TFLOP/s") == 312e12)
    #expect(try Units.flopsPerSecond("989.4 TFLOPS") == 989.4e12)
    // 312 TFLOP/s × 10 µs = 3.12e9 FLOP, the A100 GEMM half-saturation work.
    #expect(abs(try Units.flops("3.12 GFLOP") - 3.12e9) < 1)
    #expect(try Units.flops("9.894e9 FLOP") == 9.894e9)
    #expect(try Units.flops("1000") == 1000)
  }

  @Test func unknownOrMissingUnitsAreRefused() {
    // A bandwidth must say whether it counts bits or bytes.
    #expect(throws: Units.ParseError.self) { try Units.bytesPerSecond("300") }
    #expect(throws: Units.ParseError.self) { try Units.bytesPerSecond("300 GX/s") }
    #expect(throws: Units.ParseError.self) { try Units.bytesPerSecond("300 GB") }
    #expect(throws: Units.ParseError.self) { try Units.bytes("40 GQ") }
    #expect(throws: Units.ParseError.self) { try Units.seconds("5 fortnights") }
    #expect(throws: Units.ParseError.self) { try Units.flops("3 GFLOPS") }
    #expect(throws: Units.ParseError.self) { try Units.bytes("GB") }
  }

  @Test func formattingForPeople() {
    #expect(Units.formatBytes(13.48e9) == "13.5 GB")
    #expect(Units.formatBytesPerSecond(225e9) == "225 GB/s")
    #expect(Units.formatFLOPS(312e12) == "312 TFLOP/s")
    #expect(Units.formatSeconds(2e-6) == "2.00 µs")
  }
}
