import Foundation
import GridStore

/// One of the harness's CSV files (nodes, edges, origins, facilities), read by the product's `CSVReader.Table`: a
/// header row, then rows as wide as the header; numbers are read in place and a bad one is named by file and line.
struct HarnessCSV {
    let path: String
    let header: [String]
    var rowCount: Int { table.rowCount - 1 }
    private let table: CSVReader.Table

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        self.path = path
        let table = try CSVReader.table(of: [UInt8](data), path: path)
        guard table.rowCount > 0 else { throw StoreError.badInput("\(path): empty") }
        let header = (0..<table.fieldCount(0)).map { table.string(0, $0).trimmingCharacters(in: .whitespaces) }
        for row in 1..<table.rowCount where table.fieldCount(row) != header.count {
            throw StoreError.badInput("\(path) line \(table.line(row)): \(table.fieldCount(row)) fields, header has \(header.count)")
        }
        self.table = table
        self.header = header
    }

    func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw StoreError.badInput("\(path): no column \(name)") }
        return index
    }

    private func fail(_ row: Int, _ column: Int, _ what: String) -> StoreError {
        .badInput("\(path) line \(table.line(row + 1)): \"\(string(row, column))\" is not \(what)")
    }

    /// Data rows count from 0 (the header is not one).
    func string(_ row: Int, _ column: Int) -> String { table.string(row + 1, column) }

    func int(_ row: Int, _ column: Int) throws -> Int64 {
        guard let value = table.int64(row + 1, column) else { throw fail(row, column, "a 64-bit integer") }
        return value
    }

    func double(_ row: Int, _ column: Int) throws -> Double {
        guard let value = table.double(row + 1, column) else { throw fail(row, column, "a number") }
        return value
    }
}
