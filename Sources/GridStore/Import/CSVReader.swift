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

    public enum Failure: Error {
        case unterminatedQuote(line: Int)
        /// Offsets are 32-bit: a file of 2 GiB or more is refused, not read.
        case tooLarge(bytes: Int)
    }

    /// The rows of a file's text; a quote never closed is bad input naming the file and the line.
    public static func rows(of text: String, path: String) throws -> [Row] {
        do { return try parse(text) } catch { throw badInput(path, error) }
    }

    /// The table of a file's bytes; a quote never closed is bad input naming the file and the line.
    public static func table(of bytes: consuming [UInt8], path: String) throws -> Table {
        do { return try Table(bytes) } catch { throw badInput(path, error) }
    }

    public static func parse(_ text: String) throws(Failure) -> [Row] {
        let table = try Table(Array(text.utf8))
        return (0..<table.rowCount).map { row in
            Row(line: table.line(row), fields: (0..<table.fieldCount(row)).map { table.string(row, $0) })
        }
    }

    private static func badInput(_ path: String, _ failure: Failure) -> StoreError {
        switch failure {
        case .unterminatedQuote(let line): .badInput("\(path): line \(line): a quoted field is never closed")
        case .tooLarge(let bytes): .badInput("\(path): \(bytes) bytes; CSV files of 2 GiB or more are not read")
        }
    }

    /// Every row's fields as byte ranges of one buffer, unquoted in place: a field is read as text, or as a number
    /// without a string being made (the peer harness's files reach 100,000 lines and reading them is most of a run).
    /// Rows are those `parse` yields: a blank line is no row, a row may have any number of fields.
    public struct Table: Sendable {
        /// The file's bytes, unquoted in place: each field followed by a 0 byte (so a field's end stops `strtod`).
        private let contents: [UInt8]
        /// Where each field starts in `contents`, rows one after another. 32-bit, as are the indexes below: the
        /// harness's large files need half the memory for them.
        private let fieldStarts: [Int32]
        /// Each row's first index in `fieldStarts`, then `fieldStarts.count`.
        private let rowFirstField: [Int32]
        /// Where each row's last field ends (the others end one byte before the next field starts).
        private let rowEnds: [Int32]
        private let rowLines: [Int32]

        public var rowCount: Int { rowLines.count }
        /// The line the row starts on (1 = the first line of the file).
        public func line(_ row: Int) -> Int { Int(rowLines[row]) }
        public func fieldCount(_ row: Int) -> Int { Int(rowFirstField[row + 1] - rowFirstField[row]) }

        /// The bytes unquoted in place in a single pass: within a row, a field's content only ever shrinks (quotes and
        /// CRs dropped) and its 0 takes the place of the comma or line end after it; each row starts where it stands
        /// in the file, so a plain file (LF or CRLF) is read without moving a byte.
        public init(_ bytes: consuming [UInt8]) throws(Failure) {
            let count = bytes.count
            guard count < Int32.max else { throw .tooLarge(bytes: count) }
            var buffer = bytes
            buffer.append(0)  // room for the last field's 0 when the file does not end with a line end
            let scan = buffer.withUnsafeMutableBufferPointer { buffer in
                Scanner(base: buffer.baseAddress!, count: count)  // never empty: it holds the 0
            }
            if scan.inQuotes { throw .unterminatedQuote(line: scan.rowLine) }
            contents = buffer
            fieldStarts = scan.starts
            rowFirstField = scan.firsts
            rowEnds = scan.ends
            rowLines = scan.lines
        }

        /// The one pass over the bytes, run by the initializer. Its state lives in the initializer's locals (not
        /// captured by a closure, not properties), so the loop keeps it in registers and no access is checked at run time.
        private struct Scanner {
            var inQuotes = false
            var rowLine = 1
            var starts: [Int32] = [], firsts: [Int32] = [], ends: [Int32] = [], lines: [Int32] = []

            init(base: UnsafeMutablePointer<UInt8>, count: Int) {
                let (quote, comma, cr, lf): (UInt8, UInt8, UInt8, UInt8) = (0x22, 0x2C, 0x0D, 0x0A)
                var starts: [Int32] = [], firsts: [Int32] = [], ends: [Int32] = [], lines: [Int32] = []
                starts.reserveCapacity(count / 8 + 1)
                var read = count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
                var write = read, fieldStart = read
                var line = 1, rowLine = 1
                var inQuotes = false
                firsts.append(0)
                starts.append(Int32(truncatingIfNeeded: read))
                /// Keeps the row unless it is one empty field (a blank line, a lone "" or CR), which is no row.
                func keepsRow(_ starts: [Int32], _ firsts: [Int32], _ write: Int, _ fieldStart: Int) -> Bool {
                    !(starts.count - Int(firsts[firsts.count - 1]) == 1 && write == fieldStart)
                }
                while read < count {
                    let c = base[read]
                    if inQuotes {
                        if c == quote {
                            if read + 1 < count && base[read + 1] == quote { base[write] = quote; write += 1; read += 2 } else { inQuotes = false; read += 1 }
                        } else {
                            if c == lf { line += 1 }
                            var end = read + 1
                            while end < count && base[end] != quote && base[end] != lf { end += 1 }
                            // Nothing moves in a row until a quote or a CR was dropped.
                            if write != read { UnsafeMutableRawPointer(base + write).copyMemory(from: base + read, byteCount: end - read) }
                            write += end - read
                            read = end
                        }
                        continue
                    }
                    if c > comma {  // no byte above the comma is special: take the run of them at once
                        var end = read + 1
                        while end < count && base[end] > comma { end += 1 }
                        if write != read { UnsafeMutableRawPointer(base + write).copyMemory(from: base + read, byteCount: end - read) }
                        write += end - read
                        read = end
                        continue
                    }
                    read += 1
                    switch c {
                    case quote where write == fieldStart: inQuotes = true
                    case comma:
                        base[write] = 0
                        write += 1
                        fieldStart = write
                        starts.append(Int32(truncatingIfNeeded: write))
                    case cr: break
                    case lf:
                        if keepsRow(starts, firsts, write, fieldStart) {
                            base[write] = 0
                            ends.append(Int32(truncatingIfNeeded: write))
                            lines.append(Int32(truncatingIfNeeded: rowLine))
                        } else {
                            starts.removeLast()
                            firsts.removeLast()
                        }
                        line += 1
                        rowLine = line
                        // A row starts where it stands in the file.
                        write = read
                        fieldStart = read
                        firsts.append(Int32(truncatingIfNeeded: starts.count))
                        starts.append(Int32(truncatingIfNeeded: read))
                    default:
                        base[write] = c
                        write += 1
                    }
                }
                if !inQuotes {
                    // The last line when the file does not end with a line end; when it does, an empty row: none.
                    if keepsRow(starts, firsts, write, fieldStart) {
                        base[write] = 0
                        ends.append(Int32(truncatingIfNeeded: write))
                        lines.append(Int32(truncatingIfNeeded: rowLine))
                    } else {
                        starts.removeLast()
                        firsts.removeLast()
                    }
                    firsts.append(Int32(truncatingIfNeeded: starts.count))
                }
                self.inQuotes = inQuotes
                self.rowLine = rowLine
                self.starts = starts
                self.firsts = firsts
                self.ends = ends
                self.lines = lines
            }
        }

        /// The byte range of a field: `column` must be below `fieldCount(row)`.
        private func range(_ row: Int, _ column: Int) -> Range<Int> {
            let index = Int(rowFirstField[row]) + column
            let end = index + 1 == Int(rowFirstField[row + 1]) ? Int(rowEnds[row]) : Int(fieldStarts[index + 1]) - 1
            return Int(fieldStarts[index])..<end
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
