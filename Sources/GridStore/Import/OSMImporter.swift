import Foundation
import GRDB
import GRDBSQLite
import GridModel

/// `import osm`: reads the file, then derives and writes its rows in one transaction.
public enum OSMImporter {
    /// Replaces the store's OSM-derived network, buildings and facilities (a store holds one OSM base)
    /// unless `append` is set. Register rows follow their building by source id (`w123`); rows whose building
    /// is no longer in the file are kept detached and reported.
    public static func run(
        store: Store, path: String, rules: ImportRules = .default, append: Bool = false,
        progress: (@Sendable (String) -> Void)? = nil
    ) throws -> ImportSummary {
        let started = Date()
        let format = try OSMReader.sniff(path: path)
        // Handed to the transaction and dropped there as soon as the rows are derived.
        let osm = OSMDataHolder(try OSMReader.read(path: path) { nodes, ways, relations in
            progress?("reading \(path): \(nodes) nodes, \(ways) ways, \(relations) relations")
        })
        progress?(String(format: "read %@ in %.2f s; deriving and writing network, buildings and facilities",
                         osm.description, Date().timeIntervalSince(started)))
        let source = "osm"
        var summary: ImportSummary
        do {
        summary = try store.write { db in
            var summary = ImportSummary(file: path, format: "osm (\(format.rawValue))", layer: nil, counts: [], warnings: WarningList(), seconds: 0)
            let registerAtStake = try RegisterRows.attachedRows(db, source: source)
            if !append {
                // Buildings go with their register rows detached (ON DELETE SET NULL), to be re-attached below.
                for table in ["network_edges", "buildings", "facilities"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE source = ?", arguments: [source])
                    if db.changesCount > 0 { summary.changes.append(.init(table, "replaced", db.changesCount)) }
                }
            }
            let extract = try BulkLoad.run(db, tables: ["network_edges", "buildings", "facilities"]) {
                // Rows are written as they are derived: none is held beyond its insert. The file's objects go with this scope.
                guard let data = osm.take() else { throw StoreError.environment("\(path): the file's objects were already consumed") }
                var writer = try OSMRowWriter(db, path: path, source: source)
                let extract = try OSMExtractor.extract(data, rules: rules, into: &writer)
                progress?(String(format: "derived and wrote %d edges, %d buildings, %d facilities in %.2f s; indexing",
                                 writer.edges, writer.buildings, writer.facilities, Date().timeIntervalSince(started)))
                return extract
            }
            summary.counts = extract.counts
            summary.warnings = extract.warnings
            let register = try RegisterRows.reconcile(db, source: source, warnings: &summary.warnings)
            if registerAtStake > 0 || register.reattached > 0 {
                summary.changes.append(.init("household_register", "rows re-attached", register.reattached))
            }
            if register.detached > 0 {
                summary.changes.append(.init("household_register", "rows kept detached (building gone)", register.detached))
            }
            summary.households = try HouseholdSources.read(db, source: source)
            summary.seconds = Date().timeIntervalSince(started)
            try summary.log(in: db, startedAt: started)
            return summary
        }
        } catch let error as DatabaseError {
            throw ImportFailure.storeFailed(error, file: path)
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}

/// Carries the file's objects into the write transaction, which takes them once.
private final class OSMDataHolder: @unchecked Sendable {
    private var data: OSMData?
    private let lock = NSLock()
    let description: String
    init(_ data: OSMData) {
        self.data = data
        description = "\(data.nodeCount) nodes, \(data.ways.count) ways, \(data.relations.count) relations"
    }
    func take() -> OSMData? { lock.withLock { defer { data = nil }; return data } }
}

/// Inserts the derived rows through three prepared statements, binding plain values and geometry BLOBs built in
/// Swift (`SpatialiteBlobWriter`): no WKB parsing and no argument boxing per row.
struct OSMRowWriter: OSMExtractSink {
    typealias Failure = StoreError
    private let db: Database
    private let path: String
    private let source: String
    private let edgeInsert: Statement
    private let buildingInsert: Statement
    private let facilityInsert: Statement
    private var geometry = SpatialiteBlobWriter()
    private var point = SpatialiteBlobWriter()
    private(set) var edges = 0
    private(set) var buildings = 0
    private(set) var facilities = 0

    init(_ db: Database, path: String, source: String) throws {
        self.db = db
        self.path = path
        self.source = source
        edgeInsert = try db.makeStatement(sql: """
            INSERT INTO network_edges (source_node, target_node, length_m, highway, osm_way_id, source, geom)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        buildingInsert = try db.makeStatement(sql: """
            INSERT INTO buildings (source, source_id, building_type, name, levels, levels_estimated, households,
                                   households_source, households_basis, area_m2, footprint, point)
            VALUES (?, ?, ?, ?, ?, ?, ?, 'estimated', ?, ?, ?, ?)
            ON CONFLICT (source, source_id) DO NOTHING
            """)
        facilityInsert = try db.makeStatement(sql: """
            INSERT INTO facilities (category, name, source, source_id, capacity, geom)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, source_id, category) DO NOTHING
            """)
    }

    mutating func add(_ item: OSMExtract.Edge) throws(StoreError) {
        let statement = edgeInsert.sqliteStatement
        sqlite3_bind_int64(statement, 1, item.sourceNode)
        sqlite3_bind_int64(statement, 2, item.targetNode)
        sqlite3_bind_double(statement, 3, item.length.value)
        Self.bind(statement, 4, item.highway)
        sqlite3_bind_int64(statement, 5, item.osmWayID)
        Self.bind(statement, 6, source)
        geometry.lineString(item.line.coordinates)
        Self.bind(statement, 7, geometry.bytes)
        try step(statement) { "way \(item.osmWayID) (edge from node \(item.sourceNode) to \(item.targetNode))" }
        edges += 1
    }

    mutating func add(_ item: OSMExtract.Building) throws(StoreError) {
        let statement = buildingInsert.sqliteStatement
        Self.bind(statement, 1, source)
        Self.bind(statement, 2, item.sourceID)
        Self.bind(statement, 3, item.buildingType)
        Self.bind(statement, 4, item.name)
        sqlite3_bind_double(statement, 5, item.levels)
        sqlite3_bind_int64(statement, 6, item.levelsEstimated ? 1 : 0)
        sqlite3_bind_int64(statement, 7, Int64(item.households))
        Self.bind(statement, 8, item.householdsBasis.rawValue)
        sqlite3_bind_double(statement, 9, item.areaSquareMeters)
        geometry.multiPolygon(item.footprint)
        Self.bind(statement, 10, geometry.bytes)
        point.point(item.point)
        Self.bind(statement, 11, point.bytes)
        try step(statement) { "building \(item.sourceID)" }
        buildings += 1
    }

    mutating func add(_ item: OSMExtract.Facility) throws(StoreError) {
        let statement = facilityInsert.sqliteStatement
        Self.bind(statement, 1, item.category)
        Self.bind(statement, 2, item.name)
        Self.bind(statement, 3, source)
        Self.bind(statement, 4, item.sourceID)
        if let capacity = item.capacity { sqlite3_bind_int64(statement, 5, Int64(capacity)) } else { sqlite3_bind_null(statement, 5) }
        point.point(item.location)
        Self.bind(statement, 6, point.bytes)
        try step(statement) { "facility \(item.sourceID) (\(item.category))" }
        facilities += 1
    }

    /// SQLite copies the value (SQLITE_TRANSIENT), so the buffers are free for the next row at once.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ statement: SQLiteStatement, _ index: Int32, _ text: String?) {
        guard var text else { sqlite3_bind_null(statement, index); return }
        text.withUTF8 { utf8 in
            _ = utf8.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(statement, index, $0.baseAddress, Int32(utf8.count), transient) }
        }
    }

    private static func bind(_ statement: SQLiteStatement, _ index: Int32, _ blob: [UInt8]) {
        blob.withUnsafeBytes { _ = sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), transient) }
    }

    /// A row the store refuses is reported as the OSM object it came from, without SQL.
    private func step(_ statement: SQLiteStatement, place: () -> String) throws(StoreError) {
        let code = sqlite3_step(statement)
        guard code != SQLITE_DONE else {
            sqlite3_reset(statement)
            return
        }
        let connection = db.sqliteConnection
        let error = DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
            message: sqlite3_errmsg(connection).map { String(cString: $0) })
        sqlite3_reset(statement)
        throw ImportFailure.rowRefused(error, file: path, place: place())
    }
}
