import Foundation
@testable import GridServer
import Testing

/// The tile answer reads Accept-Encoding byte by byte when it is ASCII: the same answer as the reading by characters.
@Suite("Tile answer path")
struct TileAnswerPathTests {
    /// Whether an Accept-Encoding value takes gzip, by characters: the reading before the byte-by-byte one, kept as the
    /// reference.
    static func referenceAcceptsGzip(_ accepted: String) -> Bool {
        accepted.split(separator: ",").contains { item in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.first == "gzip" else { return false }
            return !parts.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }

    @Test("Accept-Encoding values as browsers, tools and odd clients send them")
    func acceptsGzipAsByCharacters() {
        var values = [
            "", "gzip", "GZIP", "gzip, deflate, br, zstd", "deflate, gzip;q=1.0, *;q=0.5", "gzip;q=0", "gzip; q = 0",
            "gzip;q=0.0", " gzip ", "\tgzip\t", "gzip\t;\tq=0", ",,gzip,,", ";gzip", "gzip;;q=0", "x-gzip", "gzipx",
            "br;q=0, gzip", "gzip;q=0, gzip", "gzip ;q=0 ", "g zip", "gzip\u{00A0}", "\u{3000}gzip", "gzip;q=0\u{00A0}",
            "gzip\r\n", "identity", "*", "gzip;level=1;q=0",
        ]
        // Random mixes of the pieces clients use.
        let pieces = ["gzip", "deflate", "br", ",", ";", " ", "\t", "q=0", "q=1", "q = 0", "*", "identity", "=", "0"]
        var state: UInt64 = 31
        for _ in 0..<3_000 {
            var value = ""
            for _ in 0..<Int(state % 7) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                value += pieces[Int(state >> 33) % pieces.count]
            }
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(value)
        }
        for value in values {
            #expect(Responses.acceptsGzip(value) == Self.referenceAcceptsGzip(value), "\(value.debugDescription)")
        }
    }
}
