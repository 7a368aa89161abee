import Foundation
import GridModel
@testable import GridTiles
import Testing

/// The shortcuts drawing takes give what the longer way gives, exactly: a shape inside the buffered tile is what clipping
/// returns for it, the commands written straight as varints are the command stream packed, and a tile written layer by
/// layer into one buffer is the layers' messages one after another.
@Suite("Vector tile shortcuts")
struct TileEncodingShortcutTests {
    /// A fixed sequence of numbers (SplitMix64), the same in every run.
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    }

    @Test("positions inside the buffered tile (borders included) come out of clipping as they went in")
    func insideIsUnclipped() throws {
        let geometry = TileGeometry(tile: try #require(TileAddress(z: 14, x: 13_500, y: 6_200)))
        var numbers = Numbers(state: 17)
        for _ in 0..<2_000 {
            let count = numbers.int(2...12)
            let positions = (0..<count).map { _ -> TileGeometry.Position in
                // Some exactly on the buffer's border, where `inside` still counts them in.
                func coordinate() -> Double { numbers.int(0...9) == 0 ? (numbers.int(0...1) == 0 ? -64 : 4160) : -64 + numbers.unit() * 4224 }
                return TileGeometry.Position(x: coordinate(), y: coordinate())
            }
            #expect(geometry.isInside(positions))
            let ring = geometry.clipRing(positions)
            #expect(ring.map(\.x) == positions.map(\.x) && ring.map(\.y) == positions.map(\.y))
            let pieces = geometry.clipLine(positions)
            #expect(pieces.count == 1)
            #expect(pieces.first.map { $0.map(\.x) == positions.map(\.x) && $0.map(\.y) == positions.map(\.y) } == true)
        }
        #expect(!geometry.isInside([TileGeometry.Position(x: 0, y: 0), TileGeometry.Position(x: 4160.001, y: 0)]))
        #expect(!geometry.isInside([TileGeometry.Position(x: .nan, y: 0)]))
    }

    @Test("commands written as varints are the command stream packed, for points, lines and polygons")
    func commandsWrittenStraight() {
        var numbers = Numbers(state: 5)
        func point() -> TilePoint { TilePoint(x: numbers.int(-200...4300), y: numbers.int(-200...4300)) }
        for round in 0..<3_000 {
            let shape: TileGeometry.Shape
            switch round % 3 {
            case 0: shape = .points((0..<numbers.int(0...5)).map { _ in point() })
            case 1: shape = .lines((0..<numbers.int(0...3)).map { _ in (0..<numbers.int(0...6)).map { _ in point() } })
            default: shape = .polygons((0..<numbers.int(0...2)).map { _ in (0..<numbers.int(0...3)).map { _ in (0..<numbers.int(0...7)).map { _ in point() } } })
            }
            var written = ProtobufWriter()
            written.bytes = [42]
            let type = VectorTileLayer.writeCommands(for: shape, into: &written)
            var packed = ProtobufWriter()
            packed.bytes = [42]
            let reference = Self.referenceCommands(for: shape)
            for command in reference?.1 ?? [] { packed.varint(command) }
            #expect(type == reference?.0, "\(shape)")
            #expect(written.bytes == packed.bytes, "\(shape)")
        }
    }

    @Test("a tile is its layers' messages one after another, each as field 3")
    func tileIsItsLayers() {
        var numbers = Numbers(state: 11)
        var layers: [VectorTileLayer] = []
        for name in ["communities", "empty", "buildings", "network"] {
            var layer = VectorTileLayer(name: name)
            if name != "empty" {
                for id in 0..<numbers.int(1...300) {
                    let x = numbers.int(0...4000), y = numbers.int(0...4000)
                    layer.add(id: UInt64(id), properties: [("households", .integer(Int64(numbers.int(0...90)))), ("name", .string("楼 \(numbers.int(0...20))")),
                                                          ("area_m2", .double(Double(numbers.int(0...9000)) / 10)),
                                                          ("offset", .integer(-Int64(numbers.int(0...1 << 40)))), ("met", .bool(numbers.int(0...1) == 0)),
                                                          ("note", .string(String(repeating: "长", count: numbers.int(0...90))))],
                              geometry: .polygons([[[TilePoint(x: x, y: y), TilePoint(x: x + 20, y: y), TilePoint(x: x + 20, y: y + 30), TilePoint(x: x, y: y + 30)]]]))
                }
            }
            layers.append(layer)
        }
        var reference = ProtobufWriter()
        for layer in layers where layer.featureCount > 0 { reference.bytesField(3, layer.bytes) }
        let tile = encodeVectorTile(layers)
        #expect(tile == reference.bytes)
        // The room reserved for the tile is its exact size: each layer's `fieldBytes` is what it writes.
        #expect(layers.filter { $0.featureCount > 0 }.reduce(0) { $0 + $1.fieldBytes } == tile.count)
        for layer in layers where layer.featureCount > 0 {
            var one = ProtobufWriter()
            layer.write(into: &one)
            #expect(one.bytes.count == layer.fieldBytes, "\(layer.name)")
        }
        // Room reserved for the features beforehand, too little or plenty, changes no byte.
        func points(reserving room: Int?) -> VectorTileLayer {
            var layer = VectorTileLayer(name: "facilities")
            if let room { layer.reserveFeatureBytes(room) }
            var numbers = Numbers(state: 5)
            for id in 0..<200 {
                layer.add(id: UInt64(id), properties: [("households", .integer(Int64(numbers.int(0...90))))],
                          geometry: .points([TilePoint(x: numbers.int(0...4000), y: numbers.int(0...4000))]))
            }
            return layer
        }
        for room in [1, 100, 1 << 16] { #expect(points(reserving: room).bytes == points(reserving: nil).bytes, "room \(room)") }
    }

    @Test("simplifying and quantising in one pass gives the simplified line quantised")
    func simplifiedQuantised() {
        var numbers = Numbers(state: 23)
        for _ in 0..<5_000 {
            let count = numbers.int(0...40)
            let spread = Double(numbers.int(1...4_000))
            var line = (0..<count).map { _ in TileGeometry.Position(x: numbers.unit() * spread - 64, y: numbers.unit() * spread - 64) }
            // Repeated positions and a closed ring now and then.
            if count > 3, numbers.int(0...3) == 0 { line[2] = line[1] }
            if count > 3, numbers.int(0...3) == 0 { line[count - 1] = line[0] }
            for tolerance in [0, 0.5, 8, 64] {
                #expect(TileGeometry.simplifiedQuantised(line, tolerance: tolerance)
                        == TileGeometry.quantise(TileGeometry.simplify(line, tolerance: tolerance)))
            }
        }
    }

    /// Text as SQLite holds it (NUL-terminated), for `tag(_:text:cString:)`.
    static func withText<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafePointer<UInt8>) -> R) -> R {
        (bytes + [0]).withUnsafeBufferPointer { terminated in
            body(UnsafeRawBufferPointer(start: terminated.baseAddress, count: bytes.count), terminated.baseAddress!)
        }
    }

    @Test("a text value tabled from its bytes is the string String(cString:) makes of them, as a value tabled from the string")
    func textTabledFromBytes() throws {
        // Repeats, a NUL inside (the string stops there), invalid UTF-8 (repaired), the same text composed and
        // decomposed (two strings `==` calls equal, of other bytes), empty text, and values of other kinds between.
        let texts: [[UInt8]] = [
            Array("osm".utf8), Array("5号楼".utf8), [], Array("osm".utf8), Array("a\u{0}b".utf8), Array("a".utf8),
            [0x61, 0xFF, 0x62], [0x61, 0xFF, 0x62], Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8),
            Array("cafe\u{301}".utf8), Array("5号楼".utf8), [], Array("a\u{0}c".utf8), Array("110105316002005".utf8),
        ]
        var numbers = Numbers(state: 29)
        let pool = texts + (0..<300).map { _ in Array("w\(numbers.int(0...120))".utf8) }
        for reserved in [0, 500] {
            var fromBytes = VectorTileLayer(name: "buildings"), fromStrings = VectorTileLayer(name: "buildings")
            fromBytes.reserveValues(reserved)
            for id in 0..<2_000 {
                let shape = TileGeometry.Shape.points([TilePoint(x: numbers.int(0...4095), y: numbers.int(0...4095))])
                let text = pool[numbers.int(0...(pool.count - 1))]
                let number = Int64(numbers.int(0...40))
                let began = fromBytes.begin(shape)
                #expect(began)
                Self.withText(text) { bytes, cString in fromBytes.tag("source_id", text: bytes, cString: cString) }
                fromBytes.tag("households", .integer(number))
                fromBytes.finish(id: UInt64(id))
                let string = Self.withText(text) { _, cString in String(cString: cString) }
                fromStrings.add(id: UInt64(id), properties: [("source_id", .string(string)), ("households", .integer(number))], geometry: shape)
            }
            #expect(fromBytes.bytes == fromStrings.bytes)
            #expect(fromBytes.valueCount == fromStrings.valueCount)
        }
    }

    @Test("a feature with nothing to draw tables none of its keys or values")
    func nothingToDraw() {
        var layer = VectorTileLayer(name: "network")
        let began = layer.begin(.lines([[TilePoint(x: 1, y: 1)]]))
        #expect(!began)
        layer.tag("highway", .string("footway"))
        layer.finish(id: 1)
        #expect(layer.featureCount == 0)
        var reference = VectorTileLayer(name: "network")
        reference.add(id: 1, properties: [("highway", .string("footway"))], geometry: .lines([[TilePoint(x: 1, y: 1)]]))
        #expect(layer.bytes == reference.bytes)
    }
}

extension TileEncodingShortcutTests {
    /// The geometry's command stream, or nil when it has nothing to draw: the encoder's way before it wrote the
    /// commands straight into the feature, kept as the reference for that shortcut (checked against the MVT 2.1
    /// specification's examples in `VectorTileEncoderTests`).
    static func referenceCommands(for shape: TileGeometry.Shape) -> (VectorTileLayer.GeometryType, [UInt64])? {
        var out: [UInt64] = []
        var cursorX = 0, cursorY = 0
        func move(_ point: TilePoint) {
            out.append(ProtobufWriter.zigZag(Int64(point.x - cursorX)))
            out.append(ProtobufWriter.zigZag(Int64(point.y - cursorY)))
            cursorX = point.x; cursorY = point.y
        }
        switch shape {
        case .points(let points):
            guard !points.isEmpty else { return nil }
            out.append(VectorTileLayer.command(1, count: points.count))
            for point in points { move(point) }
            return (.point, out)
        case .lines(let lines):
            for line in lines where line.count >= 2 {
                out.append(VectorTileLayer.command(1, count: 1)); move(line[0])
                out.append(VectorTileLayer.command(2, count: line.count - 1))
                for point in line.dropFirst() { move(point) }
            }
            return out.isEmpty ? nil : (.lineString, out)
        case .polygons(let polygons):
            for rings in polygons {
                for ring in rings where ring.count >= 3 {
                    out.append(VectorTileLayer.command(1, count: 1)); move(ring[0])
                    out.append(VectorTileLayer.command(2, count: ring.count - 1))
                    for point in ring.dropFirst() { move(point) }
                    out.append(VectorTileLayer.command(7, count: 1))
                }
            }
            return out.isEmpty ? nil : (.polygon, out)
        }
    }
}
