/// Protocol-buffer encoding for hand-made OSM PBF files (https://protobuf.dev/programming-guides/encoding/,
/// https://wiki.openstreetmap.org/wiki/PBF_Format).
public struct ProtoWriter {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    public static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }

    public mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field << 3 | wire)) }
    public mutating func uint(_ field: Int, _ value: UInt64) { key(field, 0); varint(value) }
    public mutating func int(_ field: Int, _ value: Int64) { uint(field, UInt64(bitPattern: value)) }
    public mutating func sint(_ field: Int, _ value: Int64) { uint(field, Self.zigzag(value)) }
    public mutating func bytes(_ field: Int, _ data: [UInt8]) { key(field, 2); varint(UInt64(data.count)); bytes += data }
    public mutating func string(_ field: Int, _ text: String) { bytes(field, Array(text.utf8)) }
    public mutating func message(_ field: Int, _ build: (inout ProtoWriter) -> Void) {
        var inner = ProtoWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
    public mutating func packed(_ field: Int, _ values: [UInt64]) {
        var inner = ProtoWriter()
        for value in values { inner.varint(value) }
        bytes(field, inner.bytes)
    }
    /// Zigzag, delta-coded, as PBF stores ids, coordinates and references.
    public mutating func packedDeltas(_ field: Int, _ values: [Int64]) {
        var previous: Int64 = 0
        packed(field, values.map { value in
            defer { previous = value }
            return Self.zigzag(value &- previous)
        })
    }

    /// One file block: big-endian header length, BlobHeader, Blob; `claimedSize` overrides the blob's size.
    public static func fileBlock(_ type: String, blob: [UInt8], claimedSize: UInt64? = nil) -> [UInt8] {
        var header = ProtoWriter()
        header.string(1, type)
        header.uint(3, claimedSize ?? UInt64(blob.count))
        let length = UInt32(header.bytes.count)
        return [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + header.bytes + blob
    }

    /// A Blob holding `message` uncompressed.
    public static func rawBlob(_ message: [UInt8]) -> [UInt8] {
        var blob = ProtoWriter()
        blob.bytes(1, message)
        return blob.bytes
    }
}
