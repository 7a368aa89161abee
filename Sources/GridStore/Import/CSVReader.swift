/// RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF, a leading BOM. Yields (line number, fields). The one CSV
/// reader of the product: household registers, candidate sites, the districting harness's cells.
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
            throw StoreError.badInput("\(path): line \(line): a quoted field is never closed")
        }
    }

    public static func parse(_ text: String) throws(Failure) -> [Row] {
        var rows: [Row] = []
        var field = ""
        var fields: [String] = []
        var inQuotes = false
        var line = 1
        var rowStart = 1
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        if let first = chars.next(), first != "\u{FEFF}" { pending = first }
        func endRow() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].isEmpty) { rows.append(Row(line: rowStart, fields: fields)) }
            fields = []
        }
        while let c = pending ?? chars.next() {
            pending = nil
            if inQuotes {
                if c == "\"" {
                    if let next = chars.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { inQuotes = false; pending = next }
                    } else { inQuotes = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty: inQuotes = true
            case ",": fields.append(field); field = ""
            case "\r": break
            case "\n":
                endRow()
                line += 1
                rowStart = line
            default: field.unicodeScalars.append(c)
            }
        }
        if inQuotes { throw .unterminatedQuote(line: rowStart) }
        if !field.isEmpty || !fields.isEmpty { endRow() }
        return rows
    }
}
