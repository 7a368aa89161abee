import Foundation
import GridStore

/// The harness's CSV files: a header row, plain fields (no quotes). Parsed on bytes with field offsets,
/// numbers read in place (strtod): the files reach 100,000 lines and reading them is most of a run.
struct HarnessCSV {
    let path: String
    let header: [String]
    let rowCount: Int
    private let bytes: [UInt8]
    /// Start offset of every field, row-major; a field ends at the next ',' or line end.
    private let starts: [Int32]
    private let lines: [Int32]

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.badInput("\(path): file not found") }
        self.path = path
        var bytes = [UInt8](data)
        bytes.append(0)
        var position = 0
        func lineEnd(_ from: Int) -> Int {
            var i = from
            while i < bytes.count - 1 && bytes[i] != 0x0A { i += 1 }
            return i
        }
        let headerEnd = lineEnd(0)
        var headerText = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
        if headerText.hasSuffix("\r") { headerText.removeLast() }
        header = headerText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !header.isEmpty else { throw StoreError.badInput("\(path): empty") }
        let width = header.count
        var starts: [Int32] = [], lines: [Int32] = []
        starts.reserveCapacity(bytes.count / 8)
        position = headerEnd + 1
        var line = 2
        while position < bytes.count - 1 {
            let end = lineEnd(position)
            var contentEnd = end
            if contentEnd > position && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            if contentEnd > position {
                var fields = 1
                starts.append(Int32(position))
                for i in position..<contentEnd where bytes[i] == 0x2C {
                    fields += 1
                    starts.append(Int32(i + 1))
                }
                guard fields == width else { throw StoreError.badInput("\(path) line \(line): \(fields) fields, header has \(width)") }
                lines.append(Int32(line))
            }
            position = end + 1
            line += 1
        }
        self.bytes = bytes
        self.starts = starts
        self.lines = lines
        rowCount = lines.count
    }

    func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else { throw StoreError.badInput("\(path): no column \(name)") }
        return index
    }

    private func fail(_ row: Int, _ column: Int, _ what: String) -> StoreError {
        .badInput("\(path) line \(lines[row]): \"\(string(row, column))\" is not \(what)")
    }

    func string(_ row: Int, _ column: Int) -> String {
        let start = Int(starts[row * header.count + column])
        var end = start
        while bytes[end] != 0x2C && bytes[end] != 0x0A && bytes[end] != 0x0D && bytes[end] != 0 { end += 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    func int(_ row: Int, _ column: Int) throws -> Int64 {
        var i = Int(starts[row * header.count + column])
        var negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 }
        var value: Int64 = 0, digits = 0
        while bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Int64(bytes[i] - 0x30))
            guard !o1 && !o2 else { throw fail(row, column, "a 64-bit integer") }
            value = sum; digits += 1; i += 1
        }
        guard digits > 0, [0x2C, 0x0A, 0x0D, 0].contains(bytes[i]) else { throw fail(row, column, "an integer") }
        return negative ? -value : value
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    func double(_ row: Int, _ column: Int) throws -> Double {
        let start = Int(starts[row * header.count + column])
        // Clinger's fast path: up to 15 digits and 22 decimals, mantissa ÷ 10^k is correctly rounded, as strtod is.
        var i = start, negative = false
        if bytes[i] == 0x2D { negative = true; i += 1 }
        var mantissa: Int64 = 0, digits = 0, decimals = 0, seenPoint = false
        while true {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                mantissa = mantissa * 10 + Int64(c - 0x30); digits += 1
                if seenPoint { decimals += 1 }
            } else if c == 0x2E && !seenPoint {
                seenPoint = true
            } else {
                break
            }
            if digits > 15 { break }
            i += 1
        }
        if digits > 0 && digits <= 15 && decimals <= 22 && [0x2C, 0x0A, 0x0D, 0].contains(bytes[i]) {
            let value = Double(mantissa) / Self.powersOfTen[decimals]
            return negative ? -value : value
        }
        return try bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress! + start).assumingMemoryBound(to: CChar.self)
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(base, &end)
            guard let end, end != UnsafeMutablePointer(mutating: base), [0x2C, 0x0A, 0x0D, 0].contains(UInt8(bitPattern: end.pointee)), value.isFinite
            else { throw fail(row, column, "a number") }
            return value
        }
    }
}
