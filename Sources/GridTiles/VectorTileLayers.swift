/// A tile's layers as encoded: an MVT tile is its layers' fields (field 3) one after another and nothing else, and a
/// layer's field depends on its own features alone. So a layer drawn for one tile can be put as it is into a tile of
/// the same address drawn later, when what that layer is drawn from has not changed.
public enum VectorTileLayers {
    /// Each layer's whole field (key, length and message) by layer name; nil when `tile` is not a sequence of
    /// well-formed layer fields each with one name (the caller then draws every layer). An empty tile has no layer.
    public static func split(_ tile: [UInt8]) -> [String: ArraySlice<UInt8>]? {
        var layers: [String: ArraySlice<UInt8>] = [:]
        var offset = 0
        while offset < tile.count {
            let start = offset
            guard tile[offset] == 0x1A else { return nil }  // field 3, length-delimited
            offset += 1
            guard let length = varint(tile, &offset), let count = Int(exactly: length), count <= tile.count - offset,
                  let name = layerName(tile[offset..<(offset + count)]), layers[name] == nil
            else { return nil }
            offset += count
            layers[name] = tile[start..<offset]
        }
        return layers
    }

    /// One layer of a tile being put together: drawn now, or kept from a tile drawn before (its whole field; empty
    /// when that tile had no such layer, i.e. it had no features).
    public enum Part {
        case drawn(VectorTileLayer)
        case kept(ArraySlice<UInt8>)
    }

    /// The tile of `parts` in their order, layers without features left out: the bytes `encodeVectorTile` gives when
    /// each kept part is what it was drawn as.
    public static func encode(_ parts: [Part]) -> [UInt8] {
        var bytes = 0
        for part in parts {
            switch part {
            case .drawn(let layer): if layer.featureCount > 0 { bytes += layer.fieldBytes }
            case .kept(let field): bytes += field.count
            }
        }
        var tile = ProtobufWriter()
        // Room for exactly the tile: one allocation, no copy as it grows.
        tile.bytes.reserveCapacity(bytes)
        for part in parts {
            switch part {
            case .drawn(let layer): if layer.featureCount > 0 { layer.write(into: &tile) }
            case .kept(let field): tile.bytes.append(contentsOf: field)
            }
        }
        return tile.bytes
    }

    /// The `name` field (1) of a layer message; nil when it has none, or when a field is malformed.
    private static func layerName(_ message: ArraySlice<UInt8>) -> String? {
        var offset = message.startIndex
        let end = message.endIndex
        while offset < end {
            guard let key = varint(message, &offset, end: end) else { return nil }
            switch key & 7 {
            case 0:
                guard varint(message, &offset, end: end) != nil else { return nil }
            case 1:
                guard end - offset >= 8 else { return nil }
                offset += 8
            case 5:
                guard end - offset >= 4 else { return nil }
                offset += 4
            case 2:
                guard let length = varint(message, &offset, end: end), let count = Int(exactly: length), count <= end - offset else { return nil }
                if key >> 3 == 1 {
                    return String(validating: message[offset..<(offset + count)], as: UTF8.self)
                }
                offset += count
            default:
                return nil
            }
        }
        return nil
    }

    private static func varint(_ bytes: [UInt8], _ offset: inout Int) -> UInt64? {
        varint(bytes[...], &offset, end: bytes.endIndex)
    }

    private static func varint(_ bytes: ArraySlice<UInt8>, _ offset: inout Int, end: Int) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while offset < end, shift < 64 {
            let byte = bytes[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
