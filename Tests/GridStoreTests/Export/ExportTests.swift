import Foundation
import GridModel
import GridStore
import Synchronization
import Testing

@Suite("GeoJSON export")
struct ExportTests {
    func export(_ store: Store, _ layer: GeoJSONExporter.Layer, bbox: BoundingBox? = nil) throws -> [Feature] {
        let text = Mutex("")
        try GeoJSONExporter.export(store: store, layer: layer, bbox: bbox) { chunk in text.withLock { $0 += chunk } }
        return try GeoJSON.decodeFeatureCollection(Data(text.withLock { $0 }.utf8))
    }

    @Test("every layer round-trips as RFC 7946 with exterior rings counter-clockwise; bbox filters")
    func layers() throws {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: try temporary.file("small.osm", OSMFixtures.small))
        let buildings = try export(temporary.store, .buildings)
        #expect(buildings.count == 4)
        for feature in buildings {
            let area = try #require(feature.geometry?.asMultiPolygon)
            #expect(area.polygons.allSatisfy { $0.exterior.isCounterClockwise && $0.holes.allSatisfy { !$0.isCounterClockwise } })
            #expect(feature.properties["households"]?.intValue != nil)
        }
        #expect(try export(temporary.store, .network).count == 4)
        #expect(try export(temporary.store, .facilities).count == 3)
        let box = BoundingBox(minLongitude: 116.2995, minLatitude: 39.8995, maxLongitude: 116.3008, maxLatitude: 39.9001)
        let near = try export(temporary.store, .network, bbox: box)
        #expect(near.map { $0.properties["source_node"]?.intValue } == [1])
        #expect(try export(temporary.store, .communities).isEmpty)
    }
}
