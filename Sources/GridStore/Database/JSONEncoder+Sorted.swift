import Foundation

extension JSONEncoder {
    /// The one JSON encoder of stored records and API bodies: sorted keys, so that equal values are equal bytes
    /// (stored parameters compare as text; a response's ETag is stable).
    public static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// `sorted` with snake_case keys: the API's field names for Swift's camelCase properties.
    public static var sortedSnakeCase: JSONEncoder {
        let encoder = sorted
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}
