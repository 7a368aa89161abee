import Foundation
import GridModel
@testable import GridServer
import Testing

/// The form decoding and the reply of a posted request, written without Foundation where they can be, give what
/// Foundation gives on every input.
@Suite("Open311 form decoding and posted replies")
struct Open311FastPathTests {
    static func foundationDecoded(_ s: Substring) -> String? { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }

    @Test("form components decode as Foundation decodes them, malformed escapes and invalid UTF-8 included")
    func formDecoding() {
        let fixed = ["", "a", "load+test", "attribute%5Breporter_kind%5D", "%E5%9E%83%E5%9C%BE", "%e5%9e%83", "%", "%4", "%4g", "%zz", "a%", "a%2",
                     "%2B+%2b", "%00", "%FF", "%C3", "%C3%A9", "%ED%A0%80", "%F0%9F%98%80", "垃圾+堆积", "%%41", "++", "%20%7e", "%0A%0d"]
        for text in fixed {
            #expect(Open311Routes.formDecoded(Substring(text)) == Self.foundationDecoded(Substring(text)), "\(text)")
        }
        var random = SplitMix64(seed: 311)
        let pieces = ["a", "Z", "0", "+", "%", "%2", "%41", "%4a", "%C3", "%A9", "%E5", "%9E", "%83", "%F0", "%9F", "%80", "%FF", "%00", "%g1",
                      "垃", "é", " ", "=", "-", "_", "~", "%2F", "/"]
        for _ in 0..<20_000 {
            let text = (0..<random.below(8)).map { _ in pieces[random.below(pieces.count)] }.joined()
            #expect(Open311Routes.formDecoded(Substring(text)) == Self.foundationDecoded(Substring(text)), "\(text)")
        }
    }

    @Test("a posted request's reply is JSONSerialization's bytes, or left to it when a string needs escaping")
    func postedReply() throws {
        func rendered(_ code: String, _ notice: String) throws -> [UInt8] {
            Array(try JSONSerialization.data(withJSONObject: [["service_request_id": code, "service_notice": notice, "account_id": NSNull()] as [String: Any]],
                                             options: [.sortedKeys, .withoutEscapingSlashes]))
        }
        let printable = String(decoding: (0x20..<0x7F).map { UInt8($0) }.filter { $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }, as: UTF8.self)
        let cases = [("20261207-200001", "routed to grid 110105001001003"),
                     ("20261207-200002", "routed to grid 110105001001003; possible duplicates: 20261207-1, 20261207-2"),
                     ("20261207-3", "routed to grid none (outside every grid, 120 m away)"), ("x", printable), ("", "")]
        for (code, notice) in cases {
            let reply = try #require(Open311Routes.postedReply(code: code, notice: notice))
            #expect(reply == (try rendered(code, notice)), "\(notice)")
        }
        for odd in ["a\"b", "a\\b", "网格", "a\nb", "\u{7F}", "tab\t"] {
            #expect(Open311Routes.postedReply(code: "c", notice: odd) == nil)
            #expect(Open311Routes.postedReply(code: odd, notice: "n") == nil)
        }
    }
}
