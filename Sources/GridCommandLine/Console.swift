import Foundation

public enum Console {
    public static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    /// A line on standard error that is not an error: a warning (its text says so), or where a server listens.
    public static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    public static func progress(_ message: String) {
        // One line, overwritten in a terminal; plain lines in logs.
        let line = isatty(STDERR_FILENO) == 1 ? "\r\u{1B}[K" + message : message + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    public static func endProgress() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    public static func printJSON(_ object: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Standard output through a buffered FileHandle, for large GeoJSON.
    public static let standardOutput: @Sendable (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
