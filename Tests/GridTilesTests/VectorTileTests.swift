import Foundation
import GridModel
@testable import GridTiles
import Testing

@Suite("Vector tile encoder")
struct VectorTileEncoderTests {
    @Test("command streams are those of the MVT 2.1 specification's examples")
    func specificationExamples() throws {
        func commands(_ shape: TileGeometry.Shape) -> [UInt64]? { TileEncodingShortcutTests.referenceCommands(for: shape)?.1 }
        #expect(commands(.points([TilePoint(x: 25, y: 17)])) == [9, 50, 34])
        #expect(commands(.points([TilePoint(x: 5, y: 7), TilePoint(x: 3, y: 2)])) == [17, 10, 14, 3, 9])
        #expect(commands(.lines([[TilePoint(x: 2, y: 2), TilePoint(x: 2, y: 10), TilePoint(x: 10, y: 10)]])) == [9, 4, 4, 18, 0, 16, 16, 0])
        #expect(commands(.lines([[TilePoint(x: 2, y: 2), TilePoint(x: 2, y: 10), TilePoint(x: 10, y: 10)],
                                 [TilePoint(x: 1, y: 1), TilePoint(x: 3, y: 5)]]))
                == [9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8])
        #expect(commands(.polygons([[[TilePoint(x: 3, y: 6), TilePoint(x: 8, y: 12), TilePoint(x: 20, y: 34)]]])) == [9, 6, 12, 18, 10, 12, 24, 44, 15])
        #expect(commands(.lines([[TilePoint(x: 1, y: 1)]])) == nil)
    }

    @Test("the value table gives each distinct value the position a dictionary gives it, 0 and -0 one value")
    func valueTableMatchesDictionary() {
        var values: [VectorTileLayer.Value] = []
        for i in 0..<5000 {
            values.append(.string("w\(i % 1700)"))
            values.append(.double(Double(i % 900) / 10))
            values.append(.integer(Int64(i % 1300) - 600))
            values.append(.bool(i % 3 == 0))
        }
        values += [.double(0), .double(-0.0), .string(""), .string("学清路"), .string("学清路"), .integer(0), .double(1), .integer(1)]
        var table = ValueTable(), tabled: [VectorTileLayer.Value] = []
        var reference: [VectorTileLayer.Value: UInt64] = [:], referenceValues: [VectorTileLayer.Value] = []
        for value in values {
            let expected = reference[value] ?? {
                referenceValues.append(value)
                reference[value] = UInt64(referenceValues.count - 1)
                return UInt64(referenceValues.count - 1)
            }()
            #expect(table.index(of: value, in: &tabled) == expected, "\(value)")
        }
        #expect(tabled == referenceValues)
    }

    @Test("zig-zag and varints")
    func wireForms() {
        #expect(ProtobufWriter.zigZag(0) == 0)
        #expect(ProtobufWriter.zigZag(-1) == 1)
        #expect(ProtobufWriter.zigZag(1) == 2)
        #expect(ProtobufWriter.zigZag(-2) == 3)
        #expect(ProtobufWriter.zigZag(Int64.min) == UInt64.max)
        var writer = ProtobufWriter()
        writer.varint(300)
        #expect(writer.bytes == [0xAC, 0x02])
    }

    @Test("keys and values are tabled once per layer; the independent decoder reads geometry, ids and properties back")
    func layerTablesDecode() throws {
        var layer = VectorTileLayer(name: "things")
        let square: [[TilePoint]] = [[TilePoint(x: 100, y: 100), TilePoint(x: 200, y: 100), TilePoint(x: 200, y: 200), TilePoint(x: 100, y: 200)],
                                     [TilePoint(x: 120, y: 120), TilePoint(x: 120, y: 180), TilePoint(x: 180, y: 180), TilePoint(x: 180, y: 120)]]
        #expect(TileGeometry.surveyorArea(square[0]) > 0)
        #expect(TileGeometry.surveyorArea(square[1]) < 0)
        layer.add(id: 7, properties: [("name", .string("学清路")), ("households", .integer(120)), ("met", .bool(true)), ("area", .double(12.5))],
                  geometry: .polygons([square]))
        layer.add(id: 8, properties: [("name", .string("学清路")), ("households", .integer(-3)), ("met", .bool(true))],
                  geometry: .lines([[TilePoint(x: 0, y: 0), TilePoint(x: 4096, y: 4096)]]))
        layer.add(id: 9, properties: [], geometry: .points([TilePoint(x: 10, y: 20), TilePoint(x: 30, y: 40)]))
        layer.add(id: 10, properties: [], geometry: .polygons([]))
        #expect(layer.featureCount == 3)
        let bytes = encodeVectorTile([layer, VectorTileLayer(name: "empty")])
        // "学清路" and true appear once in the value table though two features carry them.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: "学清路").count == 2)
        #expect(!text.contains("empty"))
        guard IndependentDecoder.python != nil else { print("skipped decoding: \(IndependentDecoder.skipReason)"); return }
        let decoded = try IndependentDecoder.decode(bytes)
        let things = try #require(decoded["things"] as? [String: Any])
        #expect(things["extent"] as? Int == 4096)
        let features = try #require(things["features"] as? [[String: Any]])
        #expect(features.map { $0["id"] as? Int } == [7, 8, 9])
        #expect(features[0]["type"] as? String == "Polygon")
        let rings = try #require(features[0]["coordinates"] as? [[[Int]]])
        #expect(rings.count == 2)
        #expect(rings[0].first == [100, 100] && rings[0].count == 5)
        let properties = try #require(features[0]["properties"] as? [String: Any])
        #expect(properties["name"] as? String == "学清路")
        #expect(properties["households"] as? Int == 120)
        #expect(properties["met"] as? Bool == true)
        #expect(properties["area"] as? Double == 12.5)
        #expect((features[1]["properties"] as? [String: Any])?["households"] as? Int == -3)
        #expect(features[1]["type"] as? String == "LineString")
        #expect(features[2]["type"] as? String == "MultiPoint")
    }
}

@Suite("Tile geometry")
struct TileGeometryTests {
    @Test("WebMercatorQuad addresses and bounds")
    func addresses() throws {
        #expect(TileAddress(z: 0, x: 0, y: 0) != nil)
        #expect(TileAddress(z: 0, x: 1, y: 0) == nil)
        #expect(TileAddress(z: -1, x: 0, y: 0) == nil)
        #expect(TileAddress(z: 25, x: 0, y: 0) == nil)
        #expect(TileAddress(z: 3, x: 7, y: 8) == nil)
        let world = try #require(TileAddress(z: 0, x: 0, y: 0)).bounds()
        #expect(world.minLongitude == -180 && world.maxLongitude == 180)
        #expect(abs(world.maxLatitude - WebMercator.maximumLatitude) < 1e-9)
        let northEast = try #require(TileAddress(z: 1, x: 1, y: 0)).bounds()
        #expect(abs(northEast.minLatitude) < 1e-9 && northEast.minLongitude == 0)
        // Wudaokou at zoom 15: the tile holding 116.33° E, 39.99° N.
        let n = 32768.0
        let x = Int(WebMercator.worldX(longitude: 116.33) * n), y = Int(WebMercator.worldY(latitude: 39.99) * n)
        let tile = try #require(TileAddress(z: 15, x: x, y: y))
        #expect(tile.bounds().contains(Coordinate(longitude: 116.33, latitude: 39.99)))
    }

    /// A tile at zoom 16 and positions inside it at given fractions of the tile.
    func place(_ fx: Double, _ fy: Double, in tile: TileAddress) -> Coordinate {
        let n = tile.matrixSize
        return Coordinate(longitude: WebMercator.longitude(worldX: (Double(tile.x) + fx) / n),
                          latitude: WebMercator.latitude(worldY: (Double(tile.y) + fy) / n))
    }

    @Test("a polygon is quantised to the tile's integer grid, exterior clockwise on screen and holes the other way")
    func polygonOrientation() throws {
        let tile = try #require(TileAddress(z: 16, x: 53_945, y: 24_815))
        let geometry = TileGeometry(tile: tile)
        // Counter-clockwise in longitude/latitude (RFC 7946), with a clockwise hole.
        let exterior = [place(0.25, 0.75, in: tile), place(0.75, 0.75, in: tile), place(0.75, 0.25, in: tile), place(0.25, 0.25, in: tile)]
        let hole = [place(0.4, 0.4, in: tile), place(0.6, 0.4, in: tile), place(0.6, 0.6, in: tile), place(0.4, 0.6, in: tile)]
        let polygon = try Polygon(exterior: exterior + [exterior[0]], holes: [hole + [hole[0]]])
        guard case .polygons(let polygons) = try #require(geometry.shape(.polygon(polygon))) else { Issue.record("not polygons"); return }
        #expect(polygons.count == 1 && polygons[0].count == 2)
        #expect(Set(polygons[0][0]) == [TilePoint(x: 1024, y: 3072), TilePoint(x: 3072, y: 3072), TilePoint(x: 3072, y: 1024), TilePoint(x: 1024, y: 1024)])
        #expect(TileGeometry.surveyorArea(polygons[0][0]) == 2048 * 2048)
        #expect(TileGeometry.surveyorArea(polygons[0][1]) < 0)
        // The same ring given clockwise comes out the same way round.
        let reversed = try Polygon(exterior: (exterior + [exterior[0]]).reversed())
        guard case .polygons(let again) = try #require(geometry.shape(.polygon(reversed))) else { Issue.record("not polygons"); return }
        #expect(TileGeometry.surveyorArea(again[0][0]) == 2048 * 2048)
    }

    @Test("a polygon and a line crossing the tile are clipped to the tile and its buffer")
    func clipping() throws {
        let tile = try #require(TileAddress(z: 16, x: 53_945, y: 24_815))
        let geometry = TileGeometry(tile: tile)
        let ring = [place(-1, 0.5, in: tile), place(0.5, 0.5, in: tile), place(0.5, 2, in: tile), place(-1, 2, in: tile), place(-1, 0.5, in: tile)]
        guard case .polygons(let polygons) = try #require(geometry.shape(.polygon(try Polygon(exterior: ring)))) else { Issue.record("not polygons"); return }
        let points = polygons[0][0]
        #expect(points.allSatisfy { (-64...4160).contains($0.x) && (-64...4160).contains($0.y) })
        #expect(Set(points) == [TilePoint(x: -64, y: 2048), TilePoint(x: 2048, y: 2048), TilePoint(x: 2048, y: 4160), TilePoint(x: -64, y: 4160)])
        // A line entering, leaving and entering again gives two pieces.
        let line = try LineString([place(-0.5, 0.5, in: tile), place(0.5, 0.5, in: tile), place(0.5, 1.5, in: tile), place(0.8, 1.5, in: tile), place(0.8, 0.9, in: tile)])
        guard case .lines(let lines) = try #require(geometry.shape(.lineString(line))) else { Issue.record("not lines"); return }
        #expect(lines == [[TilePoint(x: -64, y: 2048), TilePoint(x: 2048, y: 2048), TilePoint(x: 2048, y: 4160)],
                          [TilePoint(x: 3277, y: 4160), TilePoint(x: 3277, y: 3686)]])
        // Points outside the buffer are left out; a geometry wholly outside gives nothing.
        #expect(geometry.shape(.point(place(1.5, 0.5, in: tile))) == nil)
        #expect(geometry.shape(.multiPoint([place(1.5, 0.5, in: tile), place(0.5, 0.5, in: tile)])) == .points([TilePoint(x: 2048, y: 2048)]))
    }

    @Test("outlines are simplified to the pixel, and features under a pixel are dropped")
    func generalisation() throws {
        let tile = try #require(TileAddress(z: 16, x: 53_945, y: 24_815))
        let geometry = TileGeometry(tile: tile)
        #expect(geometry.options.pixel == 8)
        // A vertex 3 units off the straight edge goes; one 30 units off stays.
        let unit = 1.0 / 4096
        let ring = [place(0.25, 0.25, in: tile), place(0.5, 0.25 + 3 * unit, in: tile), place(0.75, 0.25, in: tile),
                    place(0.75, 0.75, in: tile), place(0.5, 0.75 - 30 * unit, in: tile), place(0.25, 0.75, in: tile), place(0.25, 0.25, in: tile)]
        guard case .polygons(let polygons) = try #require(geometry.shape(.polygon(try Polygon(exterior: ring)))) else { Issue.record("not polygons"); return }
        #expect(polygons[0][0].count == 5)
        #expect(polygons[0][0].contains(TilePoint(x: 2048, y: 3042)))
        // A square of 6 × 6 units (under one 8-unit pixel squared) is dropped; 10 × 10 is kept.
        func square(_ side: Double) throws -> Geometry {
            let a = 0.5, b = 0.5 + side * unit
            return .polygon(try Polygon(exterior: [place(a, a, in: tile), place(b, a, in: tile), place(b, b, in: tile), place(a, b, in: tile), place(a, a, in: tile)]))
        }
        #expect(geometry.shape(try square(6)) == nil)
        #expect(geometry.shape(try square(10)) != nil)
        // The same 6-unit building at zoom 18 spans 24 units and is drawn.
        let deeper = try #require(TileAddress(z: 18, x: 53_945 * 4 + 2, y: 24_815 * 4 + 2))
        let building = try square(6)
        #expect(TileGeometry(tile: deeper).shape(building) != nil)
        // A line within a pixel is dropped; a hole under a pixel is left out of its polygon.
        #expect(geometry.shape(.lineString(try LineString([place(0.5, 0.5, in: tile), place(0.5 + 5 * unit, 0.5 + 5 * unit, in: tile)]))) == nil)
        let outer = [place(0.1, 0.9, in: tile), place(0.9, 0.9, in: tile), place(0.9, 0.1, in: tile), place(0.1, 0.1, in: tile), place(0.1, 0.9, in: tile)]
        let pinhole = [place(0.5, 0.5, in: tile), place(0.5, 0.5 + 4 * unit, in: tile), place(0.5 + 4 * unit, 0.5 + 4 * unit, in: tile), place(0.5, 0.5, in: tile)]
        guard case .polygons(let holed) = try #require(geometry.shape(.polygon(try Polygon(exterior: outer, holes: [pinhole])))) else { return }
        #expect(holed[0].count == 1)
    }

    @Test("the span below which a reader may leave a feature out is within a pixel everywhere in the tile")
    func minimumSpan() throws {
        for (z, latitude) in [(10, 39.99), (16, 60.17), (4, 70.0), (12, -33.9)] {
            let n = Double(1 << z)
            let tile = try #require(TileAddress(z: z, x: Int(WebMercator.worldX(longitude: 116.3) * n), y: Int(WebMercator.worldY(latitude: latitude) * n)))
            let geometry = TileGeometry(tile: tile)
            let span = geometry.minimumFeatureSpanDegrees
            let box = geometry.bufferedBounds
            // A box of that span at the poleward corner projects to under a pixel in both directions.
            let north = latitude > 0
            let corner = Coordinate(longitude: box.minLongitude, latitude: north ? box.maxLatitude - span.latitude : box.minLatitude)
            let a = geometry.project(corner)
            let b = geometry.project(Coordinate(longitude: corner.longitude + span.longitude, latitude: corner.latitude + span.latitude))
            #expect(abs(b.x - a.x) < geometry.options.pixel)
            #expect(abs(b.y - a.y) < geometry.options.pixel)
            #expect(abs(b.y - a.y) > geometry.options.pixel * 0.98)
        }
    }
}
