/// Decimal text for numbers without Foundation formatters: GeoJSON output sits on request paths.
enum NumberText {
    static let powersOfTen: [Double] = (0...22).map { pow10($0) }
    private static let integerPowersOfTen: [Int64] = (0...18).map { p in (0..<p).reduce(1) { r, _ in r * 10 } }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<n { r *= 10 }  // exact up to 1e22
        return r
    }

    /// Appends `value` with at most `precision` decimals, trailing zeros trimmed, never in exponent form.
    /// Rounds the shortest round-trip decimal form half away from zero, so a value written as
    /// 39.99999995 becomes 40 at 7 decimals. Results that round to zero print as "0", never "-0".
    /// Non-finite values print as `null`, the only JSON spelling available.
    static func appendFixed(_ value: Double, precision: Int, to out: inout [UInt8]) {
        guard value.isFinite else { out.append(contentsOf: "null".utf8); return }
        let p = Swift.max(0, Swift.min(precision, 17))
        if p <= 15 {
            let scaled = value * powersOfTen[p]
            let magnitude = abs(scaled)
            if magnitude < 4_503_599_627_370_496 {  // 2^52: integers and halves are exact here
                let rounded = magnitude.rounded(.toNearestOrAwayFromZero)
                // The product can differ from the shortest decimal by about 1.5 ulp; near a tie only the
                // digits can decide.
                if abs(abs(magnitude - rounded) - 0.5) > 4 * magnitude.ulp {
                    appendScaled(Int64(rounded), negative: value < 0, precision: p, to: &out)
                    return
                }
            }
        }
        appendDecimalRounded(value, precision: p, to: &out)
    }

    static func fixed(_ value: Double, precision: Int) -> String {
        var out: [UInt8] = []
        appendFixed(value, precision: precision, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendScaled(_ units: Int64, negative: Bool, precision p: Int, to out: inout [UInt8]) {
        if units == 0 { out.append(UInt8(ascii: "0")); return }
        let divisor = integerPowersOfTen[p]
        var integer = units / divisor
        var fraction = units % divisor
        var width = p
        while fraction != 0 && fraction % 10 == 0 { fraction /= 10; width -= 1 }
        // Written right to left into a stack buffer, then appended once.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { buffer in
            var i = buffer.count
            if fraction != 0 {
                for _ in 0..<width {
                    i -= 1
                    buffer[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                i -= 1
                buffer[i] = UInt8(ascii: ".")
            }
            repeat {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(integer % 10)
                integer /= 10
            } while integer > 0
            if negative {
                i -= 1
                buffer[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i...]))
        }
    }

    static func appendInteger(_ value: UInt64, to out: inout [UInt8]) {
        var count = 1
        var probe = value
        while probe >= 10 { probe /= 10; count += 1 }
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var i = out.count - 1
        var v = value
        while v > 0 {
            out[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
    }

    /// Shortest round-trip digits of |value| as 0.d₁d₂… × 10^exponent, without leading or trailing zeros.
    /// Swift's `description` already yields the shortest digits; only its layout varies.
    static func shortestDigits(_ value: Double) -> (digits: [UInt8], exponent: Int) {
        var digits: [UInt8] = []
        var pointPosition: Int? = nil
        var exponent = 0
        var text = abs(value).description.utf8[...]
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            exponent = Int(String(decoding: text[text.index(after: e)...], as: UTF8.self).replacingPlus()) ?? 0
            text = text[..<e]
        }
        for byte in text {
            if byte == UInt8(ascii: ".") { pointPosition = digits.count } else { digits.append(byte - UInt8(ascii: "0")) }
        }
        var integerDigits = pointPosition ?? digits.count
        var leading = 0
        while leading < digits.count && digits[leading] == 0 { leading += 1 }
        digits.removeFirst(leading)
        integerDigits -= leading
        while let last = digits.last, last == 0 { digits.removeLast() }
        return (digits, integerDigits + exponent)
    }

    /// Decimal rounding on the shortest digits; handles every magnitude.
    static func appendDecimalRounded(_ value: Double, precision p: Int, to out: inout [UInt8]) {
        guard value != 0 else { out.append(UInt8(ascii: "0")); return }
        var (digits, exponent) = shortestDigits(value)
        let keep = exponent + p
        if keep < 0 { out.append(UInt8(ascii: "0")); return }
        if keep < digits.count {
            let roundUp = digits[keep] >= 5
            digits.removeSubrange(keep...)
            if roundUp {
                var i = digits.count - 1
                while i >= 0 && digits[i] == 9 { digits[i] = 0; i -= 1 }
                if i >= 0 { digits[i] += 1 } else { digits.insert(1, at: 0); exponent += 1 }
            }
            while let last = digits.last, last == 0 { digits.removeLast() }
        }
        if digits.isEmpty { out.append(UInt8(ascii: "0")); return }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendPlain(digits: digits, exponent: exponent, to: &out)
    }

    private static func appendPlain(digits: [UInt8], exponent: Int, to out: inout [UInt8]) {
        let zero = UInt8(ascii: "0")
        if exponent <= 0 {
            out.append(zero)
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: repeatElement(zero, count: -exponent))
            out.append(contentsOf: digits.map { $0 + zero })
        } else if exponent >= digits.count {
            out.append(contentsOf: digits.map { $0 + zero })
            out.append(contentsOf: repeatElement(zero, count: exponent - digits.count))
        } else {
            out.append(contentsOf: digits[..<exponent].map { $0 + zero })
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: digits[exponent...].map { $0 + zero })
        }
    }

    /// Shortest round-trip text: integral values without ".0"; plain notation for ordinary magnitudes,
    /// JSON exponent notation (RFC 8259 §6) below 1e-6 and from 1e21, as JavaScript does.
    static func appendShortest(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else { out.append(contentsOf: "null".utf8); return }
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        if value == value.rounded(), abs(value) < 1e15 {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            appendInteger(UInt64(abs(value)), to: &out)
            return
        }
        let (digits, exponent) = shortestDigits(value)
        if value < 0 { out.append(UInt8(ascii: "-")) }
        if exponent >= -5 && exponent <= 21 {
            appendPlain(digits: digits, exponent: exponent, to: &out)
        } else {
            let zero = UInt8(ascii: "0")
            out.append(digits[0] + zero)
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: digits.dropFirst().map { $0 + zero })
            }
            out.append(UInt8(ascii: "e"))
            out.append(contentsOf: String(exponent - 1).utf8)
        }
    }

    static func plain(_ value: Double) -> String {
        var out: [UInt8] = []
        appendShortest(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// "[lon, lat]" for messages.
    static func position(_ c: Coordinate) -> String { "[\(plain(c.longitude)), \(plain(c.latitude))]" }
}

extension String {
    fileprivate func replacingPlus() -> String { hasPrefix("+") ? String(dropFirst()) : self }
}
