import Foundation
import GRDB
import GridModel
import GridStore
import Testing

@Suite("GeoJSON import")
struct GeoJSONImportTests {
    static func square(_ lon: Double, _ lat: Double, _ size: Double) -> String {
        "[[[\(lon),\(lat)],[\(lon + size),\(lat)],[\(lon + size),\(lat + size)],[\(lon),\(lat + size)],[\(lon),\(lat)]]]"
    }

    static let communities = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"110105001001","name":"望京西园社区"},
           "geometry":{"type":"Polygon","coordinates":\(square(116.46, 39.99, 0.01))}},
          {"type":"Feature","properties":{"code":"110105001002","name":"花家地社区"},
           "geometry":{"type":"MultiPolygon","coordinates":[\(square(116.47, 39.99, 0.01))]}}
        ]}
        """

    static let grids = """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"110105001001001","name":"第一网格","community":"110105001001"},
           "geometry":{"type":"Polygon","coordinates":\(square(116.46, 39.99, 0.005))}},
          {"type":"Feature","properties":{"code":"110105001001002","name":"第二网格","community":"110105001001"},
           "geometry":{"type":"Polygon","coordinates":\(square(116.465, 39.99, 0.005))}}
        ]}
        """

    @Test("communities and grids with the default property names; codes split into their parts")
    func communitiesAndGrids() throws {
        let temporary = try TemporaryStore()
        let first = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("c.geojson", Self.communities), layer: .communities)
        #expect(first.count("communities inserted") == 2)
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("g.geojson", Self.grids), layer: .grids)
        let community = try temporary.store.read { db in
            try Row.fetchOne(db, sql: "SELECT admin_code, street_code, community_code, name, area_m2 FROM communities WHERE code = '110105001001'")
                .map { "\($0[0] as String)|\($0[1] as String)|\($0[2] as String)|\($0[3] as String)|\(Int(($0[4] as Double) / 1000))" }
        }
        // 0.01° × 0.01° at 39.99° N ≈ 852 m × 1112 m.
        #expect(community == "110105|001|001|望京西园社区|947")
        #expect(try temporary.count("grids") == 2)
        // Re-import updates by code.
        let again = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("c.geojson", Self.communities), layer: .communities)
        #expect(again.count("communities updated") == 2)
        #expect(again.change("communities", "replaced (same key)") == 2)
        #expect(try temporary.count("communities") == 2)
    }

    @Test("buildings: households imported when given, estimated otherwise; custom property names")
    func buildings() throws {
        let temporary = try TemporaryStore()
        let text = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","id":"b1","properties":{"HH":120,"FLOORS":18,"kind":"apartments"},
               "geometry":{"type":"Polygon","coordinates":\(Self.square(116.46, 39.99, 0.0003))}},
              {"type":"Feature","id":"b2","properties":{"FLOORS":6,"kind":"residential"},
               "geometry":{"type":"Polygon","coordinates":\(Self.square(116.461, 39.99, 0.0003))}}
            ]}
            """
        let mapping = try GeoJSONImporter.propertyMapping("households=HH,levels=FLOORS,type=kind", layer: .buildings)
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("b.geojson", text), layer: .buildings, mapping: mapping)
        let rows = try temporary.store.read { db in
            try Row.fetchAll(db, sql: "SELECT source_id, households, households_source, levels, area_m2 FROM buildings ORDER BY source_id")
                .map { ($0[0] as String, $0[1] as Int, $0[2] as String, $0[3] as Double, $0[4] as Double) }
        }
        #expect(rows.count == 2)
        #expect(rows[0].0 == "b1" && rows[0].1 == 120 && rows[0].2 == "imported")
        #expect(rows[1].0 == "b2" && rows[1].2 == "estimated" && rows[1].1 == Int((rows[1].4 * 6 / 90).rounded()))
    }

    @Test("facilities: points and areas, categories checked against the rules")
    func facilities() throws {
        let temporary = try TemporaryStore()
        let text = """
            {"type":"FeatureCollection","features":[
              {"type":"Feature","properties":{"category":"clinic","name":"社区卫生服务站","capacity":30},"geometry":{"type":"Point","coordinates":[116.46,39.99]}},
              {"type":"Feature","properties":{"category":"school","name":"小学"},"geometry":{"type":"Polygon","coordinates":\(Self.square(116.47, 39.99, 0.002))}},
              {"type":"Feature","properties":{"category":"library"},"geometry":{"type":"Point","coordinates":[116.465,39.995]}}
            ]}
            """
        let summary = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("f.geojson", text), layer: .facilities)
        #expect(try temporary.count("facilities") == 3)
        #expect(summary.warnings.total == 1)
        let inside = try temporary.store.read { db in
            try Bool.fetchOne(db, sql: "SELECT X(geom) BETWEEN 116.47 AND 116.472 AND Y(geom) BETWEEN 39.99 AND 39.992 FROM facilities WHERE category = 'school'")
        }
        #expect(inside == true)
    }

    // MARK: Bad input: each names the file, the feature and the problem; the store is unchanged.

    func expectRefused(_ layer: GeoJSONImporter.Layer, _ text: String, mentioning words: [String]) throws {
        let temporary = try TemporaryStore()
        _ = try GeoJSONImporter.run(store: temporary.store, path: try temporary.file("c.geojson", Self.communities), layer: .communities)
        let path = try temporary.file("bad.geojson", text)
        try temporary.expectRefused(path, mentioning: words) { _ = try GeoJSONImporter.run(store: $0, path: path, layer: layer) }
    }

    static func grid(_ geometry: String, code: String = "110105001001009", community: String = "110105001001") -> String {
        """
        {"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"110105001001008","community":"110105001001"},"geometry":{"type":"Polygon","coordinates":\(square(116.46, 39.99, 0.001))}},
          {"type":"Feature","id":"bad-one","properties":{"code":"\(code)","community":"\(community)"},"geometry":\(geometry)}
        ]}
        """
    }

    @Test("an open ring")
    func openRing() throws {
        try expectRefused(.grids, Self.grid(#"{"type":"Polygon","coordinates":[[[116.46,39.99],[116.47,39.99],[116.47,40.0],[116.46,40.0]]]}"#),
                          mentioning: ["feature 1", "bad-one", "not closed"])
    }

    @Test("swapped longitude and latitude")
    func swapped() throws {
        try expectRefused(.grids, Self.grid(#"{"type":"Polygon","coordinates":[[[39.99,116.46],[39.99,116.47],[40.0,116.47],[39.99,116.46]]]}"#),
                          mentioning: ["feature 1", "[latitude, longitude]"])
    }

    @Test("a geometry of the wrong type for the layer")
    func wrongType() throws {
        try expectRefused(.grids, Self.grid(#"{"type":"Point","coordinates":[116.46,39.99]}"#), mentioning: ["feature 1", "Point", "Polygon"])
    }

    @Test("a self-intersecting polygon")
    func bowtie() throws {
        try expectRefused(.grids, Self.grid(#"{"type":"Polygon","coordinates":[[[116.46,39.99],[116.47,40.0],[116.47,39.99],[116.46,40.0],[116.46,39.99]]]}"#),
                          mentioning: ["feature 1", "invalid polygon"])
    }

    @Test("a crs member naming a system that is neither EPSG nor gcj02/bd09, or an EPSG code PROJ does not know")
    func unknownCRS() throws {
        let unnamed = """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:example:crs:local-grid"}},"features":[]}
            """
        try expectRefused(.communities, unnamed, mentioning: ["urn:example:crs:local-grid", "--crs"])
        let unknown = """
            {"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::999999"}},"features":[]}
            """
        try expectRefused(.communities, unknown, mentioning: ["EPSG:999999", "crs member"])
    }

    @Test("projected metres without a crs member")
    func projectedCoordinates() throws {
        try expectRefused(.grids, Self.grid(#"{"type":"Polygon","coordinates":[[[500000,4400000],[501000,4400000],[501000,4401000],[500000,4400000]]]}"#),
                          mentioning: ["feature 1", "projected metres", "--crs EPSG:"])
    }

    @Test("a bad code, a missing community, a duplicate")
    func badCodes() throws {
        let polygon = #"{"type":"Polygon","coordinates":\#(Self.square(116.465, 39.99, 0.001))}"#
        try expectRefused(.grids, Self.grid(polygon, code: "11010500100100X"), mentioning: ["feature 1", "15 digits"])
        try expectRefused(.grids, Self.grid(polygon, community: "110105001009"), mentioning: ["feature 1", "no community 110105001009"])
        try expectRefused(.grids, Self.grid(polygon, code: "110105001001008"), mentioning: ["feature 1", "appears twice"])
    }

    @Test("not JSON, not a FeatureCollection")
    func notGeoJSON() throws {
        try expectRefused(.communities, "{\"type\": \"FeatureCollection\", \"features\": [", mentioning: ["bad.geojson"])
        try expectRefused(.communities, #"{"type":"Topology","objects":{}}"#, mentioning: ["Topology"])
    }

    @Test("an unknown --map field is a usage error")
    func badMapping() {
        #expect(throws: StoreError.self) { _ = try GeoJSONImporter.propertyMapping("height=H", layer: .buildings) }
    }
}
