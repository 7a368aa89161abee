import Foundation
import GRDB
import GridModel
@testable import GridStore
import Testing

/// The import writes Spatialite's geometry BLOBs and packed R-trees itself: both must be exactly what Spatialite
/// and SQLite would have stored.
@Suite("Bulk import formats")
struct BulkImportFormatTests {
    static func ring(_ points: [(Double, Double)]) throws -> LinearRing {
        try LinearRing(points.map { Coordinate(longitude: $0.0, latitude: $0.1) })
    }

    @Test("geometry BLOBs built in Swift are byte for byte those of GeomFromWKB and MakePoint")
    func blobsMatchSpatialite() throws {
        let temporary = try TemporaryStore()
        let line = try LineString([
            Coordinate(longitude: 116.3391234, latitude: 39.9912345), Coordinate(longitude: 116.34, latitude: 39.99),
            Coordinate(longitude: -46.6361, latitude: -23.5475),
        ])
        let withHole = Polygon(
            exterior: try Self.ring([(116.30, 39.90), (116.31, 39.90), (116.31, 39.91), (116.30, 39.91), (116.30, 39.90)]),
            holes: [try Self.ring([(116.302, 39.902), (116.302, 39.903), (116.303, 39.903), (116.302, 39.902)])])
        let second = Polygon(exterior: try Self.ring([(-0.5, -0.25), (0.5, -0.25), (0.0, 0.75), (-0.5, -0.25)]))
        let areas = [MultiPolygon([withHole]), MultiPolygon([withHole, second]), MultiPolygon([second])]
        let points = [Coordinate(longitude: 116.3391234, latitude: 39.9912345), Coordinate(longitude: -46.6361, latitude: -23.5475)]

        try temporary.store.read { db in
            var writer = SpatialiteBlobWriter()
            writer.lineString(line.coordinates)
            let expectedLine = try #require(try Data.fetchOne(db, sql: "SELECT GeomFromWKB(?, 4326)", arguments: [Data(Geometry.lineString(line).wkb())]))
            #expect(writer.bytes == [UInt8](expectedLine))
            for area in areas {
                writer.multiPolygon(area)
                let expected = try #require(try Data.fetchOne(db, sql: "SELECT GeomFromWKB(?, 4326)", arguments: [Data(Geometry.multiPolygon(area).wkb())]))
                #expect(writer.bytes == [UInt8](expected))
            }
            for point in points {
                writer.point(point)
                let expected = try #require(try Data.fetchOne(db, sql: "SELECT MakePoint(?, ?, 4326)", arguments: [point.longitude, point.latitude]))
                #expect(writer.bytes == [UInt8](expected))
            }
        }
    }

    static let indexes = [
        (table: "network_edges", column: "geom"), (table: "buildings", column: "footprint"),
        (table: "buildings", column: "point"), (table: "facilities", column: "geom"),
    ]

    /// Every index passes SQLite's own check and holds, entry for entry, what inserting the rows one by one into an
    /// R-tree stores; a search through the index finds what a scan of the table finds.
    static func expectIndexesSound(_ store: Store) throws {
        try store.write { db in
            for (table, column) in indexes {
                let index = "idx_\(table)_\(column)"
                #expect(try String.fetchOne(db, sql: "SELECT rtreecheck(?)", arguments: [index]) == "ok", "\(index)")
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table) WHERE \(column) IS NOT NULL") ?? -1
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(index)") == rows, "\(index)")
                try db.execute(sql: "DROP TABLE IF EXISTS temp.reference")
                try db.execute(sql: "CREATE VIRTUAL TABLE temp.reference USING rtree(pkid, xmin, xmax, ymin, ymax)")
                try db.execute(sql: """
                    INSERT INTO temp.reference SELECT id, MbrMinX(\(column)), MbrMaxX(\(column)), MbrMinY(\(column)), MbrMaxY(\(column))
                    FROM \(table) WHERE \(column) IS NOT NULL
                    """)
                let differences = try Int.fetchOne(db, sql: """
                    SELECT (SELECT count(*) FROM (SELECT * FROM \(index) EXCEPT SELECT * FROM temp.reference))
                         + (SELECT count(*) FROM (SELECT * FROM temp.reference EXCEPT SELECT * FROM \(index)))
                    """)
                #expect(differences == 0, "\(index)")
                try db.execute(sql: "DROP TABLE temp.reference")
                // A window around the middle of the data, through the spatial index and by a plain scan.
                let window = "BuildMbr((SELECT avg(MbrMinX(\(column))) FROM \(table)) - 0.002, (SELECT avg(MbrMinY(\(column))) FROM \(table)) - 0.002, (SELECT avg(MbrMinX(\(column))) FROM \(table)) + 0.002, (SELECT avg(MbrMinY(\(column))) FROM \(table)) + 0.002, 4326)"
                let viaIndex = try Int.fetchAll(db, sql: """
                    SELECT id FROM \(table) WHERE MbrIntersects(\(column), \(window))
                      AND id IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = '\(table)' AND f_geometry_column = '\(column)' AND search_frame = \(window))
                    ORDER BY id
                    """)
                let viaScan = try Int.fetchAll(db, sql: "SELECT id FROM \(table) WHERE MbrIntersects(\(column), \(window)) ORDER BY id")
                #expect(viaIndex == viaScan, "\(index)")
            }
            #expect(try Int.fetchOne(db, sql: "SELECT CheckSpatialMetadata()") == 3)
        }
    }

    @Test("packed R-trees of real extracts (north-east and south-west of 0°) equal row-by-row ones; re-import and append keep them sound",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func packedIndexesOnRealData() throws {
        let temporary = try TemporaryStore()
        let wudaokou = SharedData.path("cn_beijing_haidian_wudaokou_2017.osm")
        let saoPaulo = SharedData.path("dense_sao_paulo_centre_2020.osm.pbf")
        _ = try OSMImporter.run(store: temporary.store, path: wudaokou)
        try Self.expectIndexesSound(temporary.store)
        // Replacing every row empties the indexes: packed again.
        _ = try OSMImporter.run(store: temporary.store, path: saoPaulo)
        try Self.expectIndexesSound(temporary.store)
        // Appending to a filled index goes row by row into the packed tree.
        _ = try OSMImporter.run(store: temporary.store, path: wudaokou, append: true)
        try Self.expectIndexesSound(temporary.store)
    }

    @Test("node ids out of order: found by id, later copies counted as duplicates and dropped with their tags")
    func unsortedNodeIDs() {
        var data = OSMData()
        data.addNode(id: 10, longitude: 1, latitude: 1, tags: OSMTags())
        data.addNode(id: 12, longitude: 2, latitude: 2, tags: OSMTags())
        data.addNode(id: 12, longitude: 9, latitude: 9, tags: OSMTags([("amenity", "school")]))
        #expect(data.duplicateNodeCount == 1)
        data.addNode(id: 11, longitude: 3, latitude: 3, tags: OSMTags([("amenity", "clinic")]))
        data.addNode(id: 10, longitude: 9, latitude: 9, tags: OSMTags([("amenity", "school")]))
        data.addNode(id: -5, longitude: 4, latitude: 4, tags: OSMTags())
        #expect(data.nodeCount == 4 && data.duplicateNodeCount == 2)
        #expect([10, 12, 11, -5, 7].map { data.index(ofNode: $0) } == [0, 1, 2, 3, nil])
        #expect(data.longitudes == [1, 2, 3, 4])
        #expect(data.taggedNodes.map(\.id) == [11])

        var sorted = OSMData()
        for id in [3, 5, 6, 7, 100, 1_000_000] as [Int64] { sorted.addNode(id: id, longitude: Double(id), latitude: 0, tags: OSMTags()) }
        #expect([3, 4, 5, 7, 100, 99, 1_000_000, 2, 1_000_001].map { sorted.index(ofNode: $0) } == [0, nil, 1, 3, 4, nil, 5, nil, nil])
    }
}
