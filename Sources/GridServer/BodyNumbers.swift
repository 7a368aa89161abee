import GridModel

/// Numbers in JSON request bodies. Only JSON numbers count ("5" is a string, and the OpenAPI document says
/// number), and JSON has no NaN or infinity, so a number here is always finite.
enum BodyNumbers {
    /// 2^53: past it a JSON number (a Double) no longer holds every whole number exactly.
    static let largestExactInteger: Int64 = 9_007_199_254_740_992

    /// An id in a path or query, as the OpenAPI document's integer: decimal digits without a sign or a leading zero.
    /// `Int64("01")` and `Int64("+1")` read 1, so a client's malformed id would reach that run or feature.
    static func id(_ text: String) -> Int64? {
        let digits = text.utf8
        guard let first = digits.first, first != UInt8(ascii: "0") || digits.count == 1,
              digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int64(text)
    }

    static func number(_ value: JSONValue) -> Double? {
        guard case .number(let number) = value, number.isFinite else { return nil }
        return number
    }

    /// A whole number in `range`; nil for fractions, strings and anything outside it (never traps).
    static func integer(_ value: JSONValue, in range: ClosedRange<Int>) -> Int? {
        guard let number = number(value), let whole = Int(exactly: number), range.contains(whole) else { return nil }
        return whole
    }
}
