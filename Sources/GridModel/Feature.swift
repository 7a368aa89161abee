/// A GeoJSON Feature (RFC 7946 §3.2). `geometry` is nil for `"geometry": null`.
public struct Feature: Hashable, Sendable {
    public var id: JSONValue?
    public var geometry: Geometry?
    public var properties: [String: JSONValue]

    public init(id: JSONValue?, geometry: Geometry?, properties: [String: JSONValue]) {
        self.id = id
        self.geometry = geometry
        self.properties = properties
    }
}

/// Why a GeoJSON text was rejected; the first problem found, located by feature when inside one.
public struct GeoJSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 0-based index in "features".
    public let featureIndex: Int?
    /// The feature's "id" as text, when it has one.
    public let featureID: String?
    public let message: String

    public init(featureIndex: Int? = nil, featureID: String? = nil, message: String) {
        self.featureIndex = featureIndex
        self.featureID = featureID
        self.message = message
    }

    /// e.g. `feature 3 (id "g-7"): polygon ring 0 is not closed (…)`.
    public var description: String {
        var prefix = ""
        if let featureIndex { prefix = "feature \(featureIndex)" }
        if let featureID {
            prefix += prefix.isEmpty ? "feature (id \"\(featureID)\")" : " (id \"\(featureID)\")"
        }
        return prefix.isEmpty ? message : "\(prefix): \(message)"
    }
}
