import Crypto
import Foundation

/// SHA-256 of report inputs, as 64 lowercase hexadecimal digits (what `sha256sum` prints), so a
/// reader can check that a report was made from the files they hold. The digest itself comes from
/// swift-crypto (`Crypto.SHA256`, BoringSSL's implementation on Linux).
public enum ContentHash {
  /// The SHA-256 digest of `bytes` in lowercase hexadecimal.
  public static func sha256Hex<Bytes: DataProtocol>(_ bytes: Bytes) -> String {
    let digits = Array("0123456789abcdef")
    var text = ""
    text.reserveCapacity(64)
    for byte in Crypto.SHA256.hash(data: bytes) {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return text
  }
}
