import Foundation

/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF, a leading BOM. Yields (line number, fields). The one CSV
/// reader of the product: household registers, candidate sites, the districting harness's cells, the peer harness's
/// graphs (through `Table`, which reads numbers in place instead of making a string per field).
public struct CSVReader {
    public struct Row: Sendable {
        /// The line the row starts on (1 = the first line of the file).
        public var line: Int
        public var fields: [String]
    }

    public enum Failure: Error { case unterminatedQuote(line: Int) }

    /// The rows of a file's text; a quote never closed is bad input naming the file and the line.
    public static func rows(of text: String, path: String) throws -> [Row] {
        do { return try parse(text) } catch let .unterminatedQuote(line) {
            throw unterminated(path, line)
        }
    }

    /// The table of a file's bytes; a quote never closed is bad input naming the file and the line.
    public static func table(of bytes: consuming [UInt8], path: String) throws -> Table {
        do { return try Table(bytes) } catch let .unterminatedQuote(line) {
            throw unterminated(path, line)
        }
    }

    public static func parse(_ text: String) throws(Failure) -> [Row] {
        let table = try Table(Array(text.utf8))
        return (0..<table.rowCount).map { row in
            Row(line: table.line(row), fields: (0..<table.fieldCount(row)).map { table.string(row, $0) })
        }
    }

    private static func unterminated(_ path: String, _ line: Int) -> StoreError {
        .badInput("\(path): line \(line): a quoted field is never closed")
    }

    /// Every row's fields as byte ranges of one buffer, unquoted in place: a field is read as text, or as a number
    /// without a string being made (the peer harness's files reach 100,000 lines and reading them is most of a run).
    /// Rows are those `parse` yields: a blank line is no row, a row may have any number of fields.
    public struct Table: Sendable {
        /// The fields' contents, each followed by a 0 byte (so a field's end stops `strtod`).
        private let contents: [UInt8]
        /// Where each field starts in `contents`, rows one after another, then where the next field would start.
        private let fieldStarts: [Int]
        /// Each row's first index in `fieldStarts`, then `fieldStarts.count - 1`.
        private let rowFirstField: [Int]
        private let rowLines: [Int]

        public var rowCount: Int { rowLines.count }
        /// The line the row starts on (1 = the first line of the file).
        public func line(_ row: Int) -> Int { rowLines[row] }
        public func fieldCount(_ row: Int) -> Int { rowFirstField[row + 1] - rowFirstField[row] }

        /// The bytes unquoted into one buffer in a single pass: a field's content only ever shrinks (quotes and CRs
        /// dropped) and its 0 takes the place of the comma or line end after it, so the buffer is rewritten in place.
        public init(_ bytes: consuming [UInt8]) throws(Failure) {
            let (quote, comma, cr, lf): (UInt8, UInt8, UInt8, UInt8) = (0x22, 0x2C, 0x0D, 0x0A)
            let count = bytes.count
            var buffer = bytes
            buffer.append(0)  // room for the last field's 0 when the file does not end with a line end
            var starts: [Int] = [], firsts: [Int] = [], lines: [Int] = []
            starts.reserveCapacity(count / 8 + 1)
            var line = 1, rowLine = 1
            let (quoteLeftOpen, written) = buffer.withUnsafeMutableBufferPointer { buffer in
                var read = count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
                var write = 0
                var rowFirst = 0
                var inQuotes = false
                starts.append(0)
                func endRow() {
                    // A row of one empty field (a blank line, a lone "" or CR) is no row.
                    if starts.count - rowFirst == 1 && write == starts[starts.count - 1] { return }
                    buffer[write] = 0; write += 1
                    firsts.append(rowFirst); lines.append(rowLine)
                    rowFirst = starts.count
                    starts.append(write)
                }
                while read < count {
                    let c = buffer[read]
                    read += 1
                    if inQuotes {
                        if c == quote {
                            if read < count && buffer[read] == quote { buffer[write] = quote; write += 1; read += 1 } else { inQuotes = false }
                        } else {
                            if c == lf { line += 1 }
                            buffer[write] = c; write += 1
                        }
                        continue
                    }
                    switch c {
                    case quote where write == starts[starts.count - 1]: inQuotes = true
                    case comma: buffer[write] = 0; write += 1; starts.append(write)
                    case cr: break
                    case lf:
                        endRow()
                        line += 1
                        rowLine = line
                    default: buffer[write] = c; write += 1
                    }
                }
                if !inQuotes && (write > starts[starts.count - 1] || starts.count - rowFirst > 1) { endRow() }
                return (inQuotes, write)
            }
            if quoteLeftOpen { throw .unterminatedQuote(line: rowLine) }
            buffer.removeLast(buffer.count - written)
            firsts.append(starts.count - 1)
            contents = buffer
            fieldStarts = starts
            rowFirstField = firsts
            rowLines = lines
        }

        /// The byte range of a field: `column` must be below `fieldCount(row)`.
        private func range(_ row: Int, _ column: Int) -> Range<Int> {
            let index = rowFirstField[row] + column
            return fieldStarts[index]..<(fieldStarts[index + 1] - 1)
        }

        public func string(_ row: Int, _ column: Int) -> String {
            contents.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range(row, column)]), as: UTF8.self) }
        }

        /// The field as a whole decimal number (optional minus, digits only), nil when it is not one or overflows.
        public func int64(_ row: Int, _ column: Int) -> Int64? {
            let field = range(row, column)
            return contents.withUnsafeBufferPointer { bytes -> Int64? in
                var i = field.lowerBound
                let negative = i < field.upperBound && bytes[i] == 0x2D
                if negative { i += 1 }
                guard i < field.upperBound else { return nil }
                var value: Int64 = 0
                while i < field.upperBound {
                    let digit = bytes[i] &- 0x30
                    guard digit <= 9 else { return nil }
                    let (times, o1) = value.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = times.addingReportingOverflow(Int64(digit))
                    guard !o1 && !o2 else { return nil }
                    value = sum; i += 1
                }
                return negative ? -value : value
            }
        }

        private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

        /// The field as a finite number as `strtod` reads it, nil when it is not one or when text follows it.
        public func double(_ row: Int, _ column: Int) -> Double? {
            let field = range(row, column)
            return contents.withUnsafeBufferPointer { bytes -> Double? in
                // Clinger's fast path: up to 15 digits and 22 decimals, mantissa ÷ 10^k is correctly rounded, as strtod is.
                var i = field.lowerBound
                let negative = i < field.upperBound && bytes[i] == 0x2D
                if negative { i += 1 }
                var mantissa: Int64 = 0, digits = 0, decimals = 0, seenPoint = false
                while i < field.upperBound && digits <= 15 {
                    let c = bytes[i]
                    if c >= 0x30 && c <= 0x39 {
                        mantissa = mantissa * 10 + Int64(c - 0x30); digits += 1
                        if seenPoint { decimals += 1 }
                    } else if c == 0x2E && !seenPoint {
                        seenPoint = true
                    } else {
                        break
                    }
                    i += 1
                }
                if i == field.upperBound && digits > 0 && digits <= 15 && decimals <= 22 {
                    let value = Double(mantissa) / Self.powersOfTen[decimals]
                    return negative ? -value : value
                }
                guard !field.isEmpty else { return nil }
                let start = UnsafeRawPointer(bytes.baseAddress! + field.lowerBound).assumingMemoryBound(to: CChar.self)
                var end: UnsafeMutablePointer<CChar>? = nil
                let value = strtod(start, &end)
                guard let end, UnsafeRawPointer(end) == UnsafeRawPointer(bytes.baseAddress! + field.upperBound), value.isFinite else { return nil }
                return value
            }
        }
    }
}
