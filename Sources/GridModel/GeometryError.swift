/// A geometry that cannot be built as requested: bad ring, short line, malformed WKB or bounding box text.
public struct GeometryError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
