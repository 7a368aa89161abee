import GridModel

/// Why an isochrone request was refused. Each error names the request parameter at fault, so every
/// adapter (command line, HTTP) can point at its own spelling of it; the message starts with that name.
/// An empty reach is not an error: it is a result with empty polygons.
public struct IsochroneError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Parameter: String, Sendable, Hashable {
        case origin, facility, category, contours, minutes, meters
        case walkingSpeed, snapLimit, offNetworkAllowance, cellSize, minimumHoleArea, maximumCells
    }

    public let parameter: Parameter
    public let message: String

    public init(_ parameter: Parameter, _ message: String) {
        self.parameter = parameter
        self.message = message
    }

    public var description: String { message }
}

extension IsochroneError {
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        return JSONValue.number(value).stringValue ?? "\(value)"
    }

    static func position(_ c: Coordinate) -> String {
        "(\(GeoJSON.formatCoordinate(c.longitude, precision: 6)), \(GeoJSON.formatCoordinate(c.latitude, precision: 6)))"
    }

    static func metres(_ value: Double) -> String {
        value.isFinite ? "\(Int(value.rounded())) m" : "an unknown distance"
    }
}
