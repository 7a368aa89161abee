/// A decoding failure as "field .levels[0].minutes: …", for errors that name the field a user must fix.
extension DecodingError {
    public var fieldDescription: String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch self {
        case .keyNotFound(let key, let context): return "missing field \(path(context)).\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)) \(context.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
