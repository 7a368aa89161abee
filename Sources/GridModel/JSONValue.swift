/// Any JSON value (RFC 8259). Objects are unordered, as the RFC allows.
public enum JSONValue: Hashable, Sendable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Strings as they are; numbers in shortest form, integral ones without ".0". Nil for other kinds.
    public var stringValue: String? {
        switch self {
        case .string(let s): s
        case .number(let n): NumberText.plain(n)
        default: nil
        }
    }

    /// Numbers, or strings holding a finite number (surrounding spaces allowed).
    public var doubleValue: Double? {
        switch self {
        case .number(let n): return n
        case .string(let s): return Self.parseNumber(s)
        default: return nil
        }
    }

    /// Integral numbers, or strings holding one ("42", "42.0"), when they fit in `Int`.
    public var intValue: Int? {
        let n: Double
        switch self {
        case .number(let v): n = v
        case .string(let s):
            let t = s.trimmingSpaces()
            if let i = Int(t) { return i }
            guard let v = Self.parseNumber(t) else { return nil }
            n = v
        default: return nil
        }
        // 2^63 itself is not representable in Int.
        guard n == n.rounded(), n >= -9_223_372_036_854_775_808, n < 9_223_372_036_854_775_808 else { return nil }
        return Int(n)
    }

    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { o } else { nil } }
    public var isNull: Bool { self == .null }

    /// Member of an object; nil for missing keys and non-objects.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { o[key] } else { nil }
    }

    private static func parseNumber(_ text: String) -> Double? {
        let t = text.trimmingSpaces()
        // Swift's parser also takes hex floats, "nan" and "inf"; JSON-style numbers are what is meant.
        guard let first = t.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
            !t.contains("x"), !t.contains("X"),
            let v = Double(t), v.isFinite
        else { return nil }
        return v
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n): try container.encode(n)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension String {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
