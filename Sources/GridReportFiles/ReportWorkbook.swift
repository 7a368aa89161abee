import CXLSXWriter
import Foundation
import GridReport

/// Writes the report's tables as an XLSX workbook through libxlsxwriter: one sheet per table, the headers in the
/// first row, numbers stored as numbers (shares as fractions shown as percentages), the table's note below it.
public enum ReportWorkbook {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func write(_ tables: [ReportTable], to path: String) throws {
        guard let workbook = workbook_new(path) else { throw Failure(description: "\(path): cannot start the workbook") }
        let header = workbook_add_format(workbook)
        format_set_bold(header)
        format_set_bg_color(header, 0xE8EEF4)
        format_set_text_wrap(header)
        let share = workbook_add_format(workbook)
        format_set_num_format(share, "0.00%")
        var decimals: [Int: UnsafeMutablePointer<lxw_format>?] = [:]
        func numberFormat(_ places: Int) -> UnsafeMutablePointer<lxw_format>? {
            if let format = decimals[places] { return format }
            let format = workbook_add_format(workbook)
            format_set_num_format(format, places == 0 ? "0" : "0." + String(repeating: "0", count: places))
            decimals[places] = format
            return format
        }
        var firstError: lxw_error = LXW_NO_ERROR
        func check(_ error: lxw_error) { if firstError == LXW_NO_ERROR && error != LXW_NO_ERROR { firstError = error } }
        for table in tables {
            guard let sheet = workbook_add_worksheet(workbook, String(table.name.prefix(31))) else {
                _ = workbook_close(workbook)
                throw Failure(description: "\(path): sheet \(table.name) could not be added")
            }
            for (c, title) in table.headers.enumerated() {
                check(worksheet_write_string(sheet, 0, lxw_col_t(c), title, header))
                let widest = ([title] + table.rows.compactMap { c < $0.count ? $0[c].text : nil }).map(displayWidth).max() ?? 8
                check(worksheet_set_column(sheet, lxw_col_t(c), lxw_col_t(c), Double(min(max(widest + 2, 8), 40)), nil))
            }
            worksheet_freeze_panes(sheet, 1, 0)
            for (r, row) in table.rows.enumerated() {
                let line = lxw_row_t(r + 1)
                for (c, cell) in row.enumerated() {
                    let column = lxw_col_t(c)
                    switch cell {
                    case .text(let value): check(worksheet_write_string(sheet, line, column, value, nil))
                    case .integer(let value): check(worksheet_write_number(sheet, line, column, Double(value), nil))
                    case .number(let value, let places): check(worksheet_write_number(sheet, line, column, value, numberFormat(places)))
                    case .share(let value): check(worksheet_write_number(sheet, line, column, value, share))
                    case .empty: break
                    }
                }
            }
            if let note = table.note { check(worksheet_write_string(sheet, lxw_row_t(table.rows.count + 2), 0, note, nil)) }
        }
        let closed = workbook_close(workbook)
        let error = firstError != LXW_NO_ERROR ? firstError : closed
        guard error == LXW_NO_ERROR else {
            throw Failure(description: "\(path): the workbook could not be written (\(String(cString: lxw_strerror(error))))")
        }
    }

    /// Columns fit their text: a CJK character takes two Latin widths.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) }
    }
}
