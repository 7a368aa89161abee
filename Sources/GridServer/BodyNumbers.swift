import GridModel

/// Numbers in JSON request bodies. Only JSON numbers count ("5" is a string, and the OpenAPI document says
/// number), and JSON has no NaN or infinity, so a number here is always finite.
enum BodyNumbers {
    /// 2^53: past it a JSON number (a Double) no longer holds every whole number exactly.
    static let largestExactInteger: Int64 = 9_007_199_254_740_992

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
