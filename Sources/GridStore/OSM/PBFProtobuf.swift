/// A fault inside one PBF blob; the reader adds the file, blob number and offset.
struct PBFFormatError: Error, Sendable {
    enum Kind: Sendable { case corrupt, unsupported }
    var kind: Kind
    var message: String

    static func corrupt(_ message: String) -> PBFFormatError { PBFFormatError(kind: .corrupt, message: message) }
    static func unsupported(_ message: String) -> PBFFormatError { PBFFormatError(kind: .unsupported, message: message) }
}

/// Protocol-buffer wire types that occur in PBF files.
enum WireType: UInt64 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// Minimal protocol-buffer decoder reading in place, so a block's fields cost no copies or allocations.
///
/// Only what the OSM PBF messages use: varints (plain and zigzag), length-delimited fields and skipping.
/// Encoding reference: https://protobuf.dev/programming-guides/encoding/
struct ProtobufReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    @inline(__always)
    mutating func varint() throws(PBFFormatError) -> UInt64 {
        guard position < bytes.count else { throw .corrupt("a number runs past the end of its message") }
        let first = bytes[position]
        position += 1
        // Most values in a block (deltas, string indexes) fit in one byte.
        if first < 0x80 { return UInt64(first) }
        return try varintTail(UInt64(first & 0x7F))
    }

    private mutating func varintTail(_ low: UInt64) throws(PBFFormatError) -> UInt64 {
        var result = low
        var shift: UInt64 = 7
        while true {
            guard position < bytes.count else { throw .corrupt("a number runs past the end of its message") }
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            guard shift < 64 else { throw .corrupt("a number is longer than 10 bytes") }
        }
    }

    /// Zigzag-decoded sint64 (PBF ids, deltas and coordinates).
    @inline(__always)
    mutating func sint64() throws(PBFFormatError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// int32/int64 fields: negative values are sign-extended ten-byte varints.
    @inline(__always)
    mutating func int64() throws(PBFFormatError) -> Int64 { Int64(bitPattern: try varint()) }

    /// A field key: its number and wire type. Unknown wire types (groups) are refused.
    @inline(__always)
    mutating func field() throws(PBFFormatError) -> (number: UInt64, wire: WireType) {
        let key = try varint()
        guard let wire = WireType(rawValue: key & 7) else {
            throw .corrupt("field \(key >> 3) has unknown wire type \(key & 7)")
        }
        return (key >> 3, wire)
    }

    mutating func lengthDelimited() throws(PBFFormatError) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - position) else {
            throw .corrupt("a field of \(length) bytes runs past the end of its message")
        }
        let start = position
        position += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// Reads a field of the expected wire type, refusing a mismatch rather than misreading it.
    mutating func lengthDelimited(_ wire: WireType, field: String) throws(PBFFormatError) -> UnsafeRawBufferPointer {
        guard wire == .lengthDelimited else { throw .corrupt("\(field) has wire type \(wire.rawValue), expected 2") }
        return try lengthDelimited()
    }

    mutating func varint(_ wire: WireType, field: String) throws(PBFFormatError) -> UInt64 {
        guard wire == .varint else { throw .corrupt("\(field) has wire type \(wire.rawValue), expected 0") }
        return try varint()
    }

    mutating func skip(_ wire: WireType) throws(PBFFormatError) {
        switch wire {
        case .varint: _ = try varint()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed64, .fixed32:
            let size = wire == .fixed64 ? 8 : 4
            guard bytes.count - position >= size else { throw .corrupt("a fixed-size field runs past the end of its message") }
            position += size
        }
    }

    /// How many varints a packed field holds: each ends with the one byte whose top bit is clear.
    static func count(_ packed: UnsafeRawBufferPointer) -> Int {
        var count = 0
        for byte in packed where byte < 0x80 { count += 1 }
        return count
    }
}
