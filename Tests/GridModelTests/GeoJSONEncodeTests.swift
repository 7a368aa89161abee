import Foundation
import Testing
@testable import GridModel

@Suite struct GeoJSONEncodeTests {
    @Test func pointText() {
        #expect(GeoJSON.encode(.point(c(116.3, 39.9))) == #"{"type":"Point","coordinates":[116.3,39.9]}"#)
        #expect(GeoJSON.encode(.point(c(116.391234567, 39.9)), precision: 3) == #"{"type":"Point","coordinates":[116.391,39.9]}"#)
    }

    @Test func polygonsAreWrittenCounterClockwise() throws {
        let clockwise = Polygon(exterior: rectangle(0, 0, 1, 1).reversed(), holes: [rectangle(0.2, 0.2, 0.4, 0.4)])
        let text = GeoJSON.encode(.polygon(clockwise))
        #expect(text == #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.2,0.4],[0.4,0.4],[0.4,0.2],[0.2,0.2]]]}"#)
        guard case .polygon(let back) = try GeoJSON.decodeGeometry(Data(text.utf8)) else { Issue.record("not a polygon"); return }
        #expect(back == clockwise.orientedRFC7946())
    }

    @Test(arguments: sampleGeometries)
    func roundTrip(geometry: Geometry) throws {
        let text = GeoJSON.encode(geometry)
        let back = try GeoJSON.decodeGeometry(Data(text.utf8))
        let expected: Geometry = switch geometry {
        case .polygon(let p): .polygon(p.orientedRFC7946())
        case .multiPolygon(let m): .multiPolygon(m.orientedRFC7946())
        default: geometry
        }
        #expect(back == expected)
        #expect(GeoJSON.encode(back) == text)
    }

    @Test func roundTripRoundsToPrecision() throws {
        let g = Geometry.point(c(116.391_234_567_89, -39.000_000_04))
        let back = try GeoJSON.decodeGeometry(Data(GeoJSON.encode(g).utf8))
        #expect(back == .point(c(116.391_234_6, -39)))
    }

    @Test func featureText() throws {
        let text = GeoJSON.encodeFeature(
            id: "g-1", geometry: .point(c(1, 2)),
            properties: [("z", "末"), ("a", 1.5), ("quote", "say \"hi\"\n\u{1}"), ("n", 3), ("list", [true, nil])])
        #expect(text == #"{"type":"Feature","id":"g-1","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"z":"末","a":1.5,"quote":"say \"hi\"\n\u0001","n":3,"list":[true,null]}}"#)
        let decoded = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        #expect(decoded[0].properties["quote"] == .string("say \"hi\"\n\u{1}"))
        #expect(GeoJSON.encodeFeature(id: nil, geometry: nil, properties: []) == #"{"type":"Feature","geometry":null,"properties":{}}"#)
    }

    @Test func collectionRoundTrip() throws {
        let features = sampleGeometries.enumerated().map { i, g in
            Feature(id: .number(Double(i)), geometry: g, properties: ["name": .string("网格 \(i)"), "rank": .number(Double(i) / 4)])
        } + [Feature(id: .string("empty"), geometry: nil, properties: [:])]
        let text = GeoJSON.encodeFeatureCollection(features)
        let back = try GeoJSON.decodeFeatureCollection(Data(text.utf8))
        #expect(back.count == features.count)
        for (a, b) in zip(features, back) {
            #expect(a.id == b.id && a.properties == b.properties)
            #expect(a.geometry.map { GeoJSON.encode($0) } == b.geometry.map { GeoJSON.encode($0) })
        }
    }

    @Test func jsonValueText() {
        let value: JSONValue = ["b": [1, 2.5, "x"], "a": nil, "c": ["t": true], "big": 1e21, "tiny": 1e-9, "nan": .number(.nan)]
        #expect(GeoJSON.encode(value) == #"{"a":null,"b":[1,2.5,"x"],"big":1e21,"c":{"t":true},"nan":null,"tiny":1e-9}"#)
        #expect(GeoJSON.encode(.string("tab\there\u{7f}/")) == "\"tab\\there\u{7f}/\"")
    }

    @Test func largeCollectionDecodesQuickly() throws {
        // 20,000 polygon features of 20 vertices; a regression guard, not a benchmark.
        var parts: [String] = []
        for i in 0..<20_000 {
            let lon = 116 + Double(i % 200) * 0.001, lat = 39.8 + Double(i / 200) * 0.001
            let ring = (0..<20).map { k -> Coordinate in
                let a = Double(k) / 20 * 2 * .pi
                return c(lon + 0.0004 * cos(a), lat + 0.0004 * sin(a))
            }
            let polygon = Polygon(exterior: try LinearRing(ring + [ring[0]]))
            parts.append(GeoJSON.encodeFeature(id: .number(Double(i)), geometry: .polygon(polygon), properties: [("name", .string("网格\(i)"))]))
        }
        let data = Data((#"{"type":"FeatureCollection","features":["# + parts.joined(separator: ",") + "]}").utf8)
        let start = ContinuousClock.now
        let features = try GeoJSON.decodeFeatureCollection(data)
        let elapsed = ContinuousClock.now - start
        #expect(features.count == 20_000)
        #expect(elapsed < .seconds(20), "decoding \(data.count) bytes took \(elapsed)")
    }
}
