import Foundation
import GRDB
import GridModel
import GridReport

/// The store reads behind the report: names, shapes and facilities.
public enum ReportQueries {
    public struct Community: Sendable {
        public var code: String
        public var name: String
        /// Administrative division + street: the first 9 digits of the code.
        public var street: String
    }

    public static func communities(_ store: Store) throws -> [Community] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name FROM communities ORDER BY code").map { row in
                let code: String = row[0]
                return Community(code: code, name: row[1], street: String(code.prefix(9)))
            }
        }
    }

    public static func gridNames(_ store: Store) throws -> [String: (name: String, community: String)] {
        try store.read { db in
            var names: [String: (name: String, community: String)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT code, name, community_code FROM grids") { names[row[0]] = (row[1], row[2]) }
            return names
        }
    }

    public static func shapes(_ store: Store, table: String, codes: Set<String>) throws -> [StreetReport.Shape] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name, AsBinary(geom) FROM \(table) ORDER BY code").compactMap { row in
                let code: String = row[0]
                guard codes.contains(code) else { return nil }
                return StreetReport.Shape(code: code, name: row[1], shape: try shape(row[2], code: code))
            }
        }
    }

    public static func gridShapes(_ store: Store, communities: Set<String>) throws -> [StreetReport.Shape] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT code, name, community_code, AsBinary(geom) FROM grids ORDER BY code").compactMap { row in
                let code: String = row[0]
                guard communities.contains(row[2]) else { return nil }
                return StreetReport.Shape(code: code, name: row[1], shape: try shape(row[3], code: code))
            }
        }
    }

    public static func shape(_ data: Data, code: String) throws -> MultiPolygon {
        guard let shape = try Geometry(wkb: [UInt8](data)).asMultiPolygon else {
            throw StoreError.corrupt("\(code): geometry is not a polygon")
        }
        return shape
    }

    public static func facilities(_ store: Store) throws -> [StreetReport.Facility] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT category, name, X(geom), Y(geom) FROM facilities ORDER BY id").map {
                StreetReport.Facility(category: $0[0], name: $0[1], location: Coordinate(longitude: $0[2], latitude: $0[3]))
            }
        }
    }
}
