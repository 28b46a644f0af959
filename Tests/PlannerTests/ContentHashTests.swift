import Foundation
import Reporting
import Testing

/// The report hash (swift-crypto's SHA-256 in hex) against the FIPS 180-2 examples (Appendix B) and the well-known empty-input digest.
@Suite struct ContentHashTests {
  @Test func fipsOneBlockMessageABC() {
    // FIPS 180-2, B.1: "abc".
    #expect(
      ContentHash.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func emptyMessage() {
    // Digest of the empty string, as published with the standard (and printed by sha256sum).
    #expect(ContentHash.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func fipsTwoBlockMessage() {
    // FIPS 180-2, B.2: 56 bytes, so the padding spills into a second block.
    let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    #expect(
      ContentHash.sha256Hex(Array(message.utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
  }

  @Test func fipsMillionAs() {
    // FIPS 180-2, B.3: one million repetitions of "a".
    let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(ContentHash.sha256Hex(message) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}
