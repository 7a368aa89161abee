import GRDB
import GRDBSQLite
import GridModel

/// A city's millions of rows read with SQLite's own column accessors (no `Row` value per row), and its geometries
/// read from the stored Spatialite blobs in place (no conversion to WKB by Spatialite per row). Used inside the
/// caller's read only.
struct StoredRows {
    let db: Database
    let statement: Statement
    let handle: SQLiteStatement

    init(_ db: Database, sql: String, arguments: StatementArguments = []) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        handle = statement.sqliteStatement
    }

    /// Calls `body` once per row, in the statement's order.
    func forEach(_ body: (StoredRows) throws -> Void) throws {
        defer { reset() }
        while try next() { try body(self) }
    }

    /// Steps to the next row: true on a row (read it with the accessors below), false past the last. For a reader
    /// that walks two statements side by side; call `reset()` when done, also when stopping early.
    func next() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        if code == SQLITE_DONE { return false }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
    }

    /// Back before the first row, the statement's locks released.
    func reset() { sqlite3_reset(handle) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    /// An integer column; `what` names the row and column in the error when it is NULL.
    func int64(_ column: Int32, _ what: @autoclosure () -> String) throws -> Int64 {
        guard !isNull(column) else { throw StoreError.corrupt("\(what()): NULL") }
        return sqlite3_column_int64(handle, column)
    }

    func double(_ column: Int32, _ what: @autoclosure () -> String) throws -> Double {
        guard !isNull(column) else { throw StoreError.corrupt("\(what()): NULL") }
        return sqlite3_column_double(handle, column)
    }

    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    /// The column's blob (empty for NULL or an empty value), valid until the next step.
    func blob(_ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let base = sqlite3_column_blob(handle, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base, count: count)
    }
}

/// Spatialite's internal geometry blob in the plain case: little endian, two dimensions, not compressed
/// (`0x00, 0x01, srid, minX minY maxX maxY, 0x7C, class, …, 0xFE`), which is what the store writes. Anything else
/// answers nil or false, and the caller asks Spatialite instead, so every blob reads as Spatialite reads it.
enum SpatialiteBlob {
    /// Header bytes before the class: start, byte order, SRID, MBR, MBR end.
    private static let header = 39

    private static func isPlain(_ raw: UnsafeRawBufferPointer, geometryClass: UInt32) -> Bool {
        raw.count > header + 4 && raw[0] == 0x00 && raw[1] == 0x01 && raw[38] == 0x7C && raw[raw.count - 1] == 0xFE
            && UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: header, as: UInt32.self)) == geometryClass
    }

    @inline(__always) private static func double(_ raw: UnsafeRawBufferPointer, _ offset: Int) -> Double {
        Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
    }

    /// The position of a POINT blob (what Spatialite's `X()` and `Y()` answer).
    static func point(_ raw: UnsafeRawBufferPointer) -> Coordinate? {
        guard raw.count == header + 4 + 16 + 1, isPlain(raw, geometryClass: 1) else { return nil }
        return Coordinate(longitude: double(raw, header + 4), latitude: double(raw, header + 12))
    }

    /// The positions of a LINESTRING blob of two or more finite positions, read into `shape` (what
    /// `AsBinary` followed by `AnalysisData.plainLine` gives); false for anything else.
    static func line(_ raw: UnsafeRawBufferPointer, into shape: inout [Coordinate]) -> Bool {
        guard raw.count > header + 8, isPlain(raw, geometryClass: 2) else { return false }
        let count = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: header + 4, as: UInt32.self)))
        guard count >= 2, raw.count == header + 8 + 16 * count + 1 else { return false }
        shape.removeAll(keepingCapacity: true)
        for i in 0..<count {
            let x = double(raw, header + 8 + 16 * i), y = double(raw, header + 16 + 16 * i)
            guard x.isFinite, y.isFinite else { return false }
            shape.append(Coordinate(longitude: x, latitude: y))
        }
        return true
    }
}
