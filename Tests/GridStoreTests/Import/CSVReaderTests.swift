import Foundation
import GridStore
import Testing

@Suite("CSV reader: rows and the in-place table")
struct CSVReaderTests {
    /// The table's rows as `parse` gives them: line and fields.
    func tableRows(_ text: String) throws -> [(Int, [String])] {
        let table = try CSVReader.Table(Array(text.utf8))
        return (0..<table.rowCount).map { row in (table.line(row), (0..<table.fieldCount(row)).map { table.string(row, $0) }) }
    }

    @Test("RFC 4180: quoted commas and line ends, doubled quotes, CRLF, a BOM; blank lines are no rows; a quote inside a field is text")
    func rfc4180() throws {
        let text = "\u{FEFF}id,name,note\r\n1,\"Wang, Li\",\"said \"\"hi\"\"\"\r\n\r\n2,\"two\nlines\",x\n\n3,a\"b,\"\"\n\"\"\n4,\"q\"r,end"
        let expected: [(Int, [String])] = [
            (1, ["id", "name", "note"]), (2, ["1", "Wang, Li", "said \"hi\""]), (4, ["2", "two\nlines", "x"]),
            (7, ["3", "a\"b", ""]), (9, ["4", "qr", "end"]),
        ]
        let rows = try CSVReader.parse(text)
        #expect(rows.map(\.line) == expected.map(\.0))
        #expect(rows.map(\.fields) == expected.map(\.1))
        let table = try tableRows(text)
        #expect(table.map(\.0) == expected.map(\.0))
        #expect(table.map(\.1) == expected.map(\.1))
        #expect(try CSVReader.parse("").isEmpty)
        #expect(try CSVReader.Table([]).rowCount == 0)
    }

    @Test("a quote never closed is bad input naming the file and the line its row starts on")
    func unterminatedQuote() {
        let text = "a,b\n1,2\n3,\"open\nstill open\n"
        expectUserError(naming: "reg.csv", mentioning: ["line 3", "never closed"]) { _ = try CSVReader.rows(of: text, path: "reg.csv") }
        expectUserError(naming: "nodes.csv", mentioning: ["line 3", "never closed"]) {
            _ = try CSVReader.table(of: Array(text.utf8), path: "nodes.csv")
        }
    }

    @Test("numbers read in place: whole numbers within 64 bits, decimals as strtod reads them, never past the field's end")
    func numbers() throws {
        let text = "n,x\n9223372036854775807,42.5142133\n-17,-0.125\n9223372036854775808,1e3\n12x,0.12345678901234567\n,inf\n1,1e999\n2,1.5 \n3, \n4,9\n\"5\",\"2.5\"\n"
        let table = try CSVReader.Table(Array(text.utf8))
        #expect(table.rowCount == 11)
        #expect((1...10).map { table.int64($0, 0) } == [Int64.max, -17, nil, nil, nil, 1, 2, 3, 4, 5])
        let decimals = (1...10).map { table.double($0, 1) }
        #expect(decimals[0] == 42.5142133 && decimals[1] == -0.125 && decimals[2] == 1000)
        #expect(decimals[3] == Double("0.12345678901234567"))
        #expect(decimals[4] == nil && decimals[5] == nil && decimals[6] == nil, "inf, out of range, trailing space")
        #expect(decimals[7] == nil, "a blank field is no number, not the next line's")
        #expect(decimals[8] == 9 && decimals[9] == 2.5)
    }

    @Test("real files read the same through rows and the table: the demo register and the districting harness's WKT cells")
    func realFiles() throws {
        var files = [SharedData.repository.appendingPathComponent("GeoData/households.csv")]
        let cells = SharedData.folder("bench/districting/data/li/cells.csv")
        if FileManager.default.fileExists(atPath: cells.path) {
            files.append(cells)
        } else {
            print("CSV reader: \(cells.path) is absent, only the demo register is read")
        }
        for file in files {
            let data = try Data(contentsOf: file)
            let rows = try CSVReader.rows(of: String(decoding: data, as: UTF8.self), path: file.path)
            let table = try CSVReader.table(of: [UInt8](data), path: file.path)
            #expect(rows.count > 100 && table.rowCount == rows.count, "\(file.lastPathComponent)")
            var numbers = 0
            for (index, row) in rows.enumerated() {
                #expect(table.line(index) == row.line)
                #expect((0..<table.fieldCount(index)).map { table.string(index, $0) } == row.fields)
                for (column, field) in row.fields.enumerated() where index > 0 {
                    #expect(table.int64(index, column) == Int64(field), "\(file.lastPathComponent) line \(row.line)")
                    #expect(table.double(index, column) == Double(field).flatMap { $0.isFinite ? $0 : nil })
                    numbers += Int64(field) == nil ? 0 : 1
                }
            }
            #expect(numbers >= rows.count - 1, "every data row has a number: \(file.lastPathComponent)")
        }
    }
}
