import Foundation

/// A JSON text that is not valid RFC 8259, with where it went wrong.
struct JSONSyntaxError: Error {
    enum PathComponent: Equatable { case key(String), index(Int) }

    let reason: String
    let offset: Int
    let line: Int
    let column: Int
    /// Where in the document the error is, outermost first (e.g. "features", 3, "properties", "name").
    var path: [PathComponent] = []

    var message: String { "not valid JSON at line \(line), column \(column) (byte offset \(offset)): \(reason)" }
}

/// A byte-level RFC 8259 parser. Hand-written to report line and column, to keep booleans apart from
/// numbers, and to avoid Foundation's bridging cost on large inputs. It also reads the NaN, Infinity and
/// -Infinity tokens some exporters write, so that callers can report them as non-finite numbers
/// where they occur instead of as a syntax error.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private static let maximumDepth = 512
    /// Set when a NaN/Infinity token or an overflowing number was read.
    private(set) var sawNonFinite = false

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func parse(_ data: Data) -> Result<(value: JSONValue, sawNonFinite: Bool), JSONSyntaxError> {
        data.withUnsafeBytes { raw in
            var parser = JSONParser(bytes: raw.bindMemory(to: UInt8.self))
            do throws(JSONSyntaxError) {
                let value = try parser.parseDocument()
                return .success((value, parser.sawNonFinite))
            } catch {
                return .failure(error)
            }
        }
    }

    private mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { index = 3 }
        skipWhitespace()
        if index == bytes.count { throw error("the input is empty") }
        let value = try parseValue()
        skipWhitespace()
        if index != bytes.count { throw error("unexpected \(describe(bytes[index])) after the end of the JSON value") }
        return value
    }

    private func error(_ reason: String, at offset: Int? = nil) -> JSONSyntaxError {
        let at = offset ?? index
        var line = 1, lineStart = 0
        for i in 0..<Swift.min(at, bytes.count) where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return JSONSyntaxError(reason: reason, offset: at, line: line, column: at - lineStart + 1)
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "character '\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func unexpected(_ expecting: String) -> JSONSyntaxError {
        if index >= bytes.count { return error("unexpected end of input; expected \(expecting)") }
        return error("unexpected \(describe(bytes[index])); expected \(expecting)")
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw unexpected("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N"):
            try literal("NaN"); sawNonFinite = true; return .number(.nan)
        case UInt8(ascii: "I"):
            try literal("Infinity"); sawNonFinite = true; return .number(.infinity)
        case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "I"):
            index += 1
            try literal("Infinity"); sawNonFinite = true; return .number(-.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected("a value")
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = index
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw error("unexpected end of input in a literal", at: start) }
        let w = word.utf8Start
        for k in 0..<count where bytes[index + k] != w[k] {
            throw error("invalid literal; expected \(word)", at: start)
        }
        index += count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth { throw error("nesting deeper than \(Self.maximumDepth) levels") }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1; depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            do { elements.append(try parseValue()) } catch {
                // Only on the error path: the happy path pays nothing for knowing where an error is.
                var located = error
                located.path.insert(.index(elements.count), at: 0)
                throw located
            }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw unexpected("',' or ']'")
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1; depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw unexpected("a member name in double quotes") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw unexpected("':'") }
            index += 1
            skipWhitespace()
            do { members[key] = try parseValue() } catch {
                var located = error
                located.path.insert(.key(key), at: 0)
                throw located
            }
            skipWhitespace()
            guard index < bytes.count else { throw unexpected("',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw unexpected("',' or '}'")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let open = index
        index += 1
        let start = index
        var ascii = true
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                if !ascii { try checkUTF8(start..<index) }
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") || b < 0x20 { break }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        var buffer = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: open) }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                // Escapes are ASCII, so checking the raw text checks every byte that is not one.
                if !ascii { try checkUTF8(start..<index) }
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string", at: open) }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): buffer.append(0x22)
                case UInt8(ascii: "\\"): buffer.append(0x5C)
                case UInt8(ascii: "/"): buffer.append(0x2F)
                case UInt8(ascii: "b"): buffer.append(0x08)
                case UInt8(ascii: "f"): buffer.append(0x0C)
                case UInt8(ascii: "n"): buffer.append(0x0A)
                case UInt8(ascii: "r"): buffer.append(0x0D)
                case UInt8(ascii: "t"): buffer.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), index + 1 < bytes.count,
                        bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                    {
                        let save = index
                        index += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else {
                            index = save
                        }
                    }
                    // Lone surrogates become U+FFFD rather than failing the whole document.
                    let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    buffer.append(contentsOf: String(Character(s)).utf8)
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string", at: index - 2)
                }
            default:
                if b < 0x20 { throw error("unescaped control character 0x\(String(b, radix: 16, uppercase: true)) in string") }
                if b >= 0x80 { ascii = false }
                buffer.append(b)
                index += 1
            }
        }
    }

    /// RFC 8259 §8.1: JSON text is UTF-8. Decoding would turn a bad sequence into U+FFFD and store it
    /// silently, so it is refused where it occurs (RFC 3629 §4: no overlongs, surrogates or values past U+10FFFF).
    private func checkUTF8(_ range: Range<Int>) throws(JSONSyntaxError) {
        var i = range.lowerBound
        while i < range.upperBound {
            let lead = bytes[i]
            if lead < 0x80 { i += 1; continue }
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xE1...0xEF: length = 3
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF4: length = 4; second = 0x80...0x8F
            case 0xF1...0xF3: length = 4
            default: length = 0
            }
            var valid = length > 0 && range.upperBound - i >= length && second.contains(bytes[i + 1])
            if valid { for k in 2..<length where !(0x80...0xBF).contains(bytes[i + k]) { valid = false } }
            guard valid else {
                throw error("invalid UTF-8 (byte 0x\(String(lead, radix: 16, uppercase: true))) in a string; JSON text must be UTF-8", at: i)
            }
            i += length
        }
    }

    private mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard bytes.count - index >= 4 else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let d: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    private func isDigit(_ i: Int) -> Bool {
        i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
    }

    /// Exact fast path (Clinger): up to 15 significant digits and a power of ten up to 22 are both exact
    /// doubles, so one multiplication or division rounds correctly. Anything else goes to the standard parser.
    private mutating func parseNumber() throws(JSONSyntaxError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard isDigit(index) else { throw unexpected("a digit") }
        var mantissa: UInt64 = 0
        var significant = 0
        var decimalExponent = 0
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if isDigit(index) { throw error("leading zeros are not allowed in numbers", at: start) }
        } else {
            while isDigit(index) {
                if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
                    significant += 1
                } else {
                    decimalExponent += 1
                    significant += 1
                }
                index += 1
            }
        }
        if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard isDigit(index) else { throw unexpected("a digit after the decimal point") }
            while isDigit(index) {
                let d = UInt64(bytes[index] - UInt8(ascii: "0"))
                if significant < 19 {
                    if mantissa != 0 || d != 0 { significant += 1 }
                    mantissa = mantissa * 10 + d
                    decimalExponent -= 1
                } else {
                    significant += 1
                }
                index += 1
            }
        }
        if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard isDigit(index) else { throw unexpected("a digit in the exponent") }
            var e = 0
            while isDigit(index) {
                if e < 100_000 { e = e * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
            decimalExponent += exponentNegative ? -e : e
        }
        let value: Double
        if significant <= 15 && decimalExponent >= -22 && decimalExponent <= 22 {
            let m = Double(mantissa)
            value = decimalExponent >= 0 ? m * NumberText.powersOfTen[decimalExponent] : m / NumberText.powersOfTen[-decimalExponent]
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let parsed = Double(text) else { throw error("invalid number", at: start) }
        if !parsed.isFinite { sawNonFinite = true }
        return parsed
    }
}
